/* ksim_main.c: placeholder entry point while the runner is written. */
#include <stdio.h>
int main(void)
{
    fprintf(stderr, "ksim: not built yet\n");
    return 2;
}
