/* A test program that fails: the harness must report FAIL and fail the run. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "fail: failing on purpose\n");
	return 1;
}
