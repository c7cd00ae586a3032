/* iwsweep.c — placeholder main() until the command lands. */
#include <stdio.h>
int main(void) { fprintf(stderr, "iwsweep: not built yet\n"); return 1; }
