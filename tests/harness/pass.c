/* A test program that passes: the harness must report PASS. */
int main(void)
{
	return 0;
}
