// The parts of the VST 3 binary interface AdaptiveEQ's plugin implements or calls, declared
// from Steinberg's documented interface definitions (pluginterfaces/base and
// pluginterfaces/vst). Linux/x86-64: plain SysV C calls, the interface pointer first; an
// interface pointer points at a word holding its vtable; slots 0-2 of every vtable are
// FUnknown's queryInterface, addRef, release. Natural alignment throughout; sizes and field
// offsets are checked by Tests/VST3Tests/ABITests.swift.
#ifndef ADAPTIVE_EQ_CVST3_H
#define ADAPTIVE_EQ_CVST3_H

#include <stdint.h>

typedef int32_t aeq_tresult;
typedef uint8_t aeq_tbool;
typedef uint16_t aeq_char16;
typedef uint32_t aeq_param_id;
typedef double aeq_param_value;
typedef uint64_t aeq_speaker_arrangement;
/// A class or interface id: 16 bytes, on Linux in the order the id's hex digits read.
typedef uint8_t aeq_tuid[16];

// Result codes (Linux values).
enum {
    AEQ_K_NO_INTERFACE = -1,
    AEQ_K_RESULT_OK = 0,
    AEQ_K_RESULT_TRUE = 0,
    AEQ_K_RESULT_FALSE = 1,
    AEQ_K_INVALID_ARGUMENT = 2,
    AEQ_K_NOT_IMPLEMENTED = 3,
    AEQ_K_INTERNAL_ERROR = 4,
    AEQ_K_NOT_INITIALIZED = 5,
    AEQ_K_OUT_OF_MEMORY = 6,
};

// ---- structures -----------------------------------------------------------------------

/// IPluginFactory::getFactoryInfo (452 bytes).
typedef struct aeq_factory_info {
    char vendor[64];
    char url[256];
    char email[128];
    int32_t flags;
} aeq_factory_info;

/// IPluginFactory::getClassInfo (116 bytes).
typedef struct aeq_class_info {
    aeq_tuid cid;
    int32_t cardinality;
    char category[32];
    char name[64];
} aeq_class_info;

/// IPluginFactory2::getClassInfo2 (440 bytes).
typedef struct aeq_class_info2 {
    aeq_tuid cid;
    int32_t cardinality;
    char category[32];
    char name[64];
    uint32_t class_flags;
    char sub_categories[128];
    char vendor[64];
    char version[64];
    char sdk_version[64];
} aeq_class_info2;

/// IComponent::getBusInfo (276 bytes).
typedef struct aeq_bus_info {
    int32_t media_type;
    int32_t direction;
    int32_t channel_count;
    aeq_char16 name[128];
    int32_t bus_type;
    uint32_t flags;
} aeq_bus_info;

/// IComponent::getRoutingInfo.
typedef struct aeq_routing_info {
    int32_t media_type;
    int32_t bus_index;
    int32_t channel;
} aeq_routing_info;

/// IEditController::getParameterInfo (792 bytes).
typedef struct aeq_parameter_info {
    aeq_param_id id;
    aeq_char16 title[128];
    aeq_char16 short_title[128];
    aeq_char16 units[128];
    int32_t step_count;
    aeq_param_value default_normalized_value;
    int32_t unit_id;
    int32_t flags;
} aeq_parameter_info;

/// IAudioProcessor::setupProcessing (24 bytes).
typedef struct aeq_process_setup {
    int32_t process_mode;
    int32_t symbolic_sample_size;
    int32_t max_samples_per_block;
    double sample_rate;
} aeq_process_setup;

/// One bus of audio in ProcessData (24 bytes); `buffers` are float** for 32-bit samples.
typedef struct aeq_audio_bus_buffers {
    int32_t num_channels;
    uint64_t silence_flags;
    void **buffers;
} aeq_audio_bus_buffers;

/// IAudioProcessor::process (80 bytes).
typedef struct aeq_process_data {
    int32_t process_mode;
    int32_t symbolic_sample_size;
    int32_t num_samples;
    int32_t num_inputs;
    int32_t num_outputs;
    aeq_audio_bus_buffers *inputs;
    aeq_audio_bus_buffers *outputs;
    void *input_parameter_changes;   // IParameterChanges*
    void *output_parameter_changes;  // IParameterChanges*
    void *input_events;
    void *output_events;
    void *process_context;
} aeq_process_data;

// ---- vtables the plugin implements ----------------------------------------------------

#define AEQ_FUNKNOWN_SLOTS \
    aeq_tresult (*query_interface)(void *self, const uint8_t *iid, void **object); \
    uint32_t (*add_ref)(void *self); \
    uint32_t (*release)(void *self);

typedef struct aeq_plugin_factory_vtbl {
    AEQ_FUNKNOWN_SLOTS
    aeq_tresult (*get_factory_info)(void *self, aeq_factory_info *info);
    int32_t (*count_classes)(void *self);
    aeq_tresult (*get_class_info)(void *self, int32_t index, aeq_class_info *info);
    aeq_tresult (*create_instance)(void *self, const uint8_t *cid, const uint8_t *iid, void **object);
    // IPluginFactory2
    aeq_tresult (*get_class_info2)(void *self, int32_t index, aeq_class_info2 *info);
} aeq_plugin_factory_vtbl;

typedef struct aeq_component_vtbl {
    AEQ_FUNKNOWN_SLOTS
    aeq_tresult (*initialize)(void *self, void *context);
    aeq_tresult (*terminate)(void *self);
    aeq_tresult (*get_controller_class_id)(void *self, uint8_t *class_id);
    aeq_tresult (*set_io_mode)(void *self, int32_t mode);
    int32_t (*get_bus_count)(void *self, int32_t media_type, int32_t direction);
    aeq_tresult (*get_bus_info)(void *self, int32_t media_type, int32_t direction, int32_t index, aeq_bus_info *bus);
    aeq_tresult (*get_routing_info)(void *self, aeq_routing_info *in_info, aeq_routing_info *out_info);
    aeq_tresult (*activate_bus)(void *self, int32_t media_type, int32_t direction, int32_t index, aeq_tbool state);
    aeq_tresult (*set_active)(void *self, aeq_tbool state);
    aeq_tresult (*set_state)(void *self, void *stream);
    aeq_tresult (*get_state)(void *self, void *stream);
} aeq_component_vtbl;

typedef struct aeq_audio_processor_vtbl {
    AEQ_FUNKNOWN_SLOTS
    aeq_tresult (*set_bus_arrangements)(void *self, aeq_speaker_arrangement *inputs, int32_t input_count,
                                        aeq_speaker_arrangement *outputs, int32_t output_count);
    aeq_tresult (*get_bus_arrangement)(void *self, int32_t direction, int32_t index, aeq_speaker_arrangement *arrangement);
    aeq_tresult (*can_process_sample_size)(void *self, int32_t symbolic_sample_size);
    uint32_t (*get_latency_samples)(void *self);
    aeq_tresult (*setup_processing)(void *self, aeq_process_setup *setup);
    aeq_tresult (*set_processing)(void *self, aeq_tbool state);
    aeq_tresult (*process)(void *self, aeq_process_data *data);
    uint32_t (*get_tail_samples)(void *self);
} aeq_audio_processor_vtbl;

typedef struct aeq_edit_controller_vtbl {
    AEQ_FUNKNOWN_SLOTS
    aeq_tresult (*initialize)(void *self, void *context);
    aeq_tresult (*terminate)(void *self);
    aeq_tresult (*set_component_state)(void *self, void *stream);
    aeq_tresult (*set_state)(void *self, void *stream);
    aeq_tresult (*get_state)(void *self, void *stream);
    int32_t (*get_parameter_count)(void *self);
    aeq_tresult (*get_parameter_info)(void *self, int32_t index, aeq_parameter_info *info);
    aeq_tresult (*get_param_string_by_value)(void *self, aeq_param_id id, aeq_param_value normalized, aeq_char16 *string128);
    aeq_tresult (*get_param_value_by_string)(void *self, aeq_param_id id, const aeq_char16 *string, aeq_param_value *normalized);
    aeq_param_value (*normalized_param_to_plain)(void *self, aeq_param_id id, aeq_param_value normalized);
    aeq_param_value (*plain_param_to_normalized)(void *self, aeq_param_id id, aeq_param_value plain);
    aeq_param_value (*get_param_normalized)(void *self, aeq_param_id id);
    aeq_tresult (*set_param_normalized)(void *self, aeq_param_id id, aeq_param_value value);
    aeq_tresult (*set_component_handler)(void *self, void *handler);
    void *(*create_view)(void *self, const char *name);
} aeq_edit_controller_vtbl;

// ---- host interfaces the plugin calls -------------------------------------------------

typedef struct aeq_bstream_vtbl {
    AEQ_FUNKNOWN_SLOTS
    aeq_tresult (*read)(void *self, void *buffer, int32_t count, int32_t *read);
    aeq_tresult (*write)(void *self, const void *buffer, int32_t count, int32_t *written);
    aeq_tresult (*seek)(void *self, int64_t position, int32_t mode, int64_t *result);
    aeq_tresult (*tell)(void *self, int64_t *position);
} aeq_bstream_vtbl;

typedef struct aeq_param_value_queue_vtbl {
    AEQ_FUNKNOWN_SLOTS
    aeq_param_id (*get_parameter_id)(void *self);
    int32_t (*get_point_count)(void *self);
    aeq_tresult (*get_point)(void *self, int32_t index, int32_t *sample_offset, aeq_param_value *value);
    aeq_tresult (*add_point)(void *self, int32_t sample_offset, aeq_param_value value, int32_t *index);
} aeq_param_value_queue_vtbl;

typedef struct aeq_parameter_changes_vtbl {
    AEQ_FUNKNOWN_SLOTS
    int32_t (*get_parameter_count)(void *self);
    void *(*get_parameter_data)(void *self, int32_t index);
    void *(*add_parameter_data)(void *self, const aeq_param_id *id, int32_t *index);
} aeq_parameter_changes_vtbl;

/// The vtable of a host object (first word of the object).
static inline const void *aeq_vtable(void *object) { return *(const void *const *)object; }

// ---- the plugin object ----------------------------------------------------------------

/// One plugin instance as hosts see it: one interface pointer per implemented interface
/// (each the address of its vtable field), the reference count and the Swift state.
typedef struct aeq_plugin_object {
    const aeq_component_vtbl *component;
    const aeq_audio_processor_vtbl *processor;
    const aeq_edit_controller_vtbl *controller;
    uint32_t reference_count;
    void *state;
} aeq_plugin_object;

/// The object whose `field` (one of the interface pointers above) is `interface`.
aeq_plugin_object *aeq_plugin_object_from_component(void *interface);
aeq_plugin_object *aeq_plugin_object_from_processor(void *interface);
aeq_plugin_object *aeq_plugin_object_from_controller(void *interface);

// ---- small lock-free helpers (sequentially consistent unless named) -------------------

static inline uint32_t aeq_atomic_increment(uint32_t *p) { return __atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL); }
static inline uint32_t aeq_atomic_decrement(uint32_t *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_ACQ_REL); }
/// Compare-and-swap; true when *p was `expected` and is now `desired`.
static inline _Bool aeq_atomic_cas(int32_t *p, int32_t expected, int32_t desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline int32_t aeq_atomic_load(const int32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void aeq_atomic_store(int32_t *p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
/// Relaxed 64-bit loads and stores of doubles shared between the audio and other threads.
static inline double aeq_atomic_load_double(const double *p) {
    uint64_t bits = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
    double v; __builtin_memcpy(&v, &bits, sizeof v); return v;
}
static inline void aeq_atomic_store_double(double *p, double v) {
    uint64_t bits; __builtin_memcpy(&bits, &v, sizeof v);
    __atomic_store_n((uint64_t *)p, bits, __ATOMIC_RELAXED);
}

/// Path of the shared object this code was loaded from ("" when unknown), written into
/// `buffer` (NUL-terminated, at most `capacity` bytes). Used to find the bundle's resources.
void aeq_module_path(char *buffer, int32_t capacity);

#endif
