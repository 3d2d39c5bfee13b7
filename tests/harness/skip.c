/* A test program that skips (exit 77): the harness must report SKIP. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "skip: nothing to test here\n");
	return 77;
}
