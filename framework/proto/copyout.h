/* SPDX-License-Identifier: ISC */
/*
 * copyout.h - internal: the receiver's one read of bytes another process
 * may be writing while they are read (a worker's bulk region), into
 * memory of its own.
 */
#ifndef PRIVSEP_COPYOUT_H
#define PRIVSEP_COPYOUT_H

#include <stddef.h>

/* Payloads of more than this many bytes, with the region they are read
 * from and the sender's buffer, do not fit the last-level cache of the
 * machines measured (32 MiB of L3, bench/README.md): their copy is
 * written with non-temporal stores (copyout's stream).  A third of the
 * cache: at 16 MiB the stream took 8 to 12 % off the helper's and the
 * worker's CPU a payload (session 9; it was 32 MiB).  Not read from the
 * machine: glibc's sysconf reports 320 MiB of L3 on the VM measured, and
 * /sys may not be readable in a confined helper. */
#define COPYOUT_STREAM_OVER (((size_t)32 << 20) / 3)

/* n bytes of src into dst, each byte of src read once (what another
 * process writes there meanwhile changes what dst holds, never dst once
 * this returned); never reads or writes a byte outside [src, src + n) and
 * [dst, dst + n).  stream nonzero: on x86-64, dst is written with
 * non-temporal stores (no read of dst's lines for ownership, nothing
 * evicted from the caches for them), fenced before this returns; a plain
 * memcpy elsewhere. */
void copyout(void *dst, const void *src, size_t n, int stream);

#endif
