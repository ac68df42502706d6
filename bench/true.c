/* SPDX-License-Identifier: ISC */
/* A static `true` (no loader, no library): privsep-bench's baseline for
 * the fork+exec of a program. */
int main(void)
{
	return 0;
}
