/* shelfwatchd entry point (being built). */
#include <stdio.h>
int main(void)
{
        printf("shelfwatchd %s\n", SW_VERSION);
        return 0;
}
