#include "config.h"
#include "options.h"
/* placeholder, replaced below */
