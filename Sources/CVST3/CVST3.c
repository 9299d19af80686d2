#define _GNU_SOURCE
#include "CVST3.h"
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

aeq_plugin_object *aeq_plugin_object_from_component(void *interface) {
    return (aeq_plugin_object *)((char *)interface - offsetof(aeq_plugin_object, component));
}
aeq_plugin_object *aeq_plugin_object_from_processor(void *interface) {
    return (aeq_plugin_object *)((char *)interface - offsetof(aeq_plugin_object, processor));
}
aeq_plugin_object *aeq_plugin_object_from_controller(void *interface) {
    return (aeq_plugin_object *)((char *)interface - offsetof(aeq_plugin_object, controller));
}

void aeq_module_path(char *buffer, int32_t capacity) {
    if (capacity <= 0) return;
    buffer[0] = 0;
    Dl_info info;
    if (dladdr((void *)&aeq_module_path, &info) && info.dli_fname) {
        strncpy(buffer, info.dli_fname, (size_t)capacity - 1);
        buffer[capacity - 1] = 0;
    }
}
