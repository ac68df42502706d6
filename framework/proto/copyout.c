/* SPDX-License-Identifier: ISC */
/*
 * copyout.c - the receiver's one read of a region's bytes (copyout.h).
 *
 * A payload larger than the last-level cache is copied out into memory
 * (the helper's copy buffer), then read back by the handler from memory.
 * With ordinary stores each line of the copy is first read for ownership
 * and later written back: twice the copy's traffic.  Non-temporal stores
 * write whole lines through write-combining buffers without reading them
 * (bench/README.md, "Bulk payloads, session 7").  Under the cache's size
 * the copy stays in the cache for the handler's read: plain memcpy.
 */
#include <stdint.h>
#include <string.h>

#include "copyout.h"

#if defined(__x86_64__)
#include <emmintrin.h>

/* SSE2 is part of x86-64: no target attribute, no run-time check. */
static void copy_stream(uint8_t *d, const uint8_t *s, size_t n)
{
	/* the stores need dst aligned on 16 bytes; the loads take any src */
	size_t head = (size_t)(-(uintptr_t)d & 15u);
	if (head > n)
		head = n;
	memcpy(d, s, head);
	d += head;
	s += head;
	n -= head;
	for (; n >= 64; n -= 64, d += 64, s += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + 32));
		__m128i e = _mm_loadu_si128((const __m128i *)(const void *)(s + 48));
		_mm_stream_si128((__m128i *)(void *)d, a);
		_mm_stream_si128((__m128i *)(void *)(d + 16), b);
		_mm_stream_si128((__m128i *)(void *)(d + 32), c);
		_mm_stream_si128((__m128i *)(void *)(d + 48), e);
	}
	for (; n >= 16; n -= 16, d += 16, s += 16)
		_mm_stream_si128((__m128i *)(void *)d,
		                 _mm_loadu_si128((const __m128i *)(const void *)s));
	memcpy(d, s, n);
	/* the streamed stores are weakly ordered: visible before whatever
	 * this end stores next (the count that frees the sender's slot) */
	_mm_sfence();
}
#endif

void copyout(void *dst, const void *src, size_t n, int stream)
{
	if (!n)
		return;
#if defined(__x86_64__)
	if (stream) {
		copy_stream(dst, src, n);
		return;
	}
#else
	(void)stream;
#endif
	memcpy(dst, src, n);
}
