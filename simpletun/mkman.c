/* Build-time tool: writes the man page simpletun(8), made from the same
 * directive table as --help, to standard output. */
#include <stdio.h>

#include "conf.h"

int
main(void)
{
	conf_man(stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
