// LV2 core ABI (descriptor, handle, feature) for the Swift plugin.
#include <lv2/core/lv2.h>
