#include "CJackShim.h"
