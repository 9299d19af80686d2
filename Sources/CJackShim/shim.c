#include "CJackShim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

// JACK ABI constants (jack/types.h).
enum {
    JACK_NO_START_SERVER = 0x01,
    JACK_SERVER_NAME = 0x04,
    JACK_PORT_IS_INPUT = 0x1,
    JACK_PORT_IS_OUTPUT = 0x2,
    JACK_PORT_IS_PHYSICAL = 0x4,
};
static const char *const audio_type = "32 bit float mono audio";

static struct {
    void *lib;
    aeq_jack_client *(*client_open)(const char *, int, int *, ...);
    int (*client_close)(aeq_jack_client *);
    char *(*get_client_name)(aeq_jack_client *);
    int (*set_process_callback)(aeq_jack_client *, aeq_jack_process_fn, void *);
    int (*set_xrun_callback)(aeq_jack_client *, aeq_jack_xrun_fn, void *);
    void (*on_shutdown)(aeq_jack_client *, aeq_jack_shutdown_fn, void *);
    aeq_jack_port *(*port_register)(aeq_jack_client *, const char *, const char *, unsigned long, unsigned long);
    void *(*port_get_buffer)(aeq_jack_port *, uint32_t);
    const char *(*port_name)(const aeq_jack_port *);
    int (*activate)(aeq_jack_client *);
    int (*deactivate)(aeq_jack_client *);
    uint32_t (*get_sample_rate)(aeq_jack_client *);
    uint32_t (*get_buffer_size)(aeq_jack_client *);
    float (*cpu_load)(aeq_jack_client *);
    int (*connect)(aeq_jack_client *, const char *, const char *);
    const char **(*get_ports)(aeq_jack_client *, const char *, const char *, unsigned long);
    void (*free)(void *);
    void (*set_error_function)(void (*)(const char *));  // optional
    void (*set_info_function)(void (*)(const char *));   // optional
} jack;

static volatile int jack_quiet = 0;
static void print_jack_message(const char *message) {
    if (!jack_quiet) fprintf(stderr, "%s\n", message);
}
void aeq_jack_set_quiet(int quiet) { jack_quiet = quiet; }

#define LOAD(field, symbol)                                                         \
    do {                                                                            \
        *(void **)(&jack.field) = dlsym(jack.lib, symbol);                          \
        if (!jack.field) {                                                          \
            snprintf(error, error_size, "libjack has no %s", symbol);               \
            return -1;                                                              \
        }                                                                           \
    } while (0)

int aeq_jack_load(char *error, size_t error_size) {
    if (jack.lib) return 0;
    void *lib = dlopen("libjack.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libjack.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(error, error_size,
                 "cannot load the JACK library (libjack.so.0); install libjack-jackd2-0 or PipeWire's JACK support");
        return -1;
    }
    jack.lib = lib;
    LOAD(client_open, "jack_client_open");
    LOAD(client_close, "jack_client_close");
    LOAD(get_client_name, "jack_get_client_name");
    LOAD(set_process_callback, "jack_set_process_callback");
    LOAD(set_xrun_callback, "jack_set_xrun_callback");
    LOAD(on_shutdown, "jack_on_shutdown");
    LOAD(port_register, "jack_port_register");
    LOAD(port_get_buffer, "jack_port_get_buffer");
    LOAD(port_name, "jack_port_name");
    LOAD(activate, "jack_activate");
    LOAD(deactivate, "jack_deactivate");
    LOAD(get_sample_rate, "jack_get_sample_rate");
    LOAD(get_buffer_size, "jack_get_buffer_size");
    LOAD(cpu_load, "jack_cpu_load");
    LOAD(connect, "jack_connect");
    LOAD(get_ports, "jack_get_ports");
    LOAD(free, "jack_free");
    *(void **)(&jack.set_error_function) = dlsym(lib, "jack_set_error_function");
    *(void **)(&jack.set_info_function) = dlsym(lib, "jack_set_info_function");
    if (jack.set_error_function) jack.set_error_function(print_jack_message);
    if (jack.set_info_function) jack.set_info_function(print_jack_message);
    return 0;
}

aeq_jack_client *aeq_jack_client_open(const char *client_name, const char *server_name, int *status) {
    int options = JACK_NO_START_SERVER | (server_name ? JACK_SERVER_NAME : 0);
    int local_status = 0;
    aeq_jack_client *client = server_name
        ? jack.client_open(client_name, options, &local_status, server_name)
        : jack.client_open(client_name, options, &local_status);
    if (status) *status = local_status;
    return client;
}

int aeq_jack_client_close(aeq_jack_client *client) { return jack.client_close(client); }
const char *aeq_jack_get_client_name(aeq_jack_client *client) { return jack.get_client_name(client); }

int aeq_jack_set_process_callback(aeq_jack_client *client, aeq_jack_process_fn fn, void *arg) {
    return jack.set_process_callback(client, fn, arg);
}
int aeq_jack_set_xrun_callback(aeq_jack_client *client, aeq_jack_xrun_fn fn, void *arg) {
    return jack.set_xrun_callback(client, fn, arg);
}
void aeq_jack_on_shutdown(aeq_jack_client *client, aeq_jack_shutdown_fn fn, void *arg) {
    jack.on_shutdown(client, fn, arg);
}

aeq_jack_port *aeq_jack_port_register_audio(aeq_jack_client *client, const char *name, int is_input) {
    return jack.port_register(client, name, audio_type, is_input ? JACK_PORT_IS_INPUT : JACK_PORT_IS_OUTPUT, 0);
}
void *aeq_jack_port_get_buffer(aeq_jack_port *port, uint32_t nframes) { return jack.port_get_buffer(port, nframes); }
const char *aeq_jack_port_name(aeq_jack_port *port) { return jack.port_name(port); }

int aeq_jack_activate(aeq_jack_client *client) { return jack.activate(client); }
int aeq_jack_deactivate(aeq_jack_client *client) { return jack.deactivate(client); }
uint32_t aeq_jack_get_sample_rate(aeq_jack_client *client) { return jack.get_sample_rate(client); }
uint32_t aeq_jack_get_buffer_size(aeq_jack_client *client) { return jack.get_buffer_size(client); }
float aeq_jack_cpu_load(aeq_jack_client *client) { return jack.cpu_load(client); }
int aeq_jack_connect(aeq_jack_client *client, const char *source_port, const char *destination_port) {
    return jack.connect(client, source_port, destination_port);
}

const char **aeq_jack_physical_ports(aeq_jack_client *client, int capture) {
    unsigned long flags = JACK_PORT_IS_PHYSICAL | (capture ? JACK_PORT_IS_OUTPUT : JACK_PORT_IS_INPUT);
    return jack.get_ports(client, NULL, audio_type, flags);
}
void aeq_jack_free_ports(const char **ports) {
    if (ports) jack.free((void *)ports);
}

static volatile sig_atomic_t stop_flag = 0;
static void on_stop_signal(int sig) { (void)sig; stop_flag = 1; }

void aeq_install_stop_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    // A parent may have started us with these blocked (the mask is inherited); take them.
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
}
int aeq_stop_requested(void) { return stop_flag != 0; }

uint64_t aeq_monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
