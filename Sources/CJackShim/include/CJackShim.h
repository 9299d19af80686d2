#ifndef ADAPTIVE_EQ_CJACKSHIM_H
#define ADAPTIVE_EQ_CJACKSHIM_H

// A thin JACK client API for Swift. libjack is loaded with dlopen at run time (JACK2's
// libjack.so.0, or PipeWire's when run under pw-jack), so programs linking this start
// without JACK installed. The variadic jack_client_open is wrapped here because Swift
// cannot call C variadic functions.

#include <stddef.h>
#include <stdint.h>

typedef struct aeq_jack_client aeq_jack_client;
typedef struct aeq_jack_port aeq_jack_port;

typedef int (*aeq_jack_process_fn)(uint32_t nframes, void *arg);
typedef int (*aeq_jack_xrun_fn)(void *arg);
typedef void (*aeq_jack_shutdown_fn)(void *arg);

/// Loads libjack. Returns 0 on success; otherwise writes the reason into `error`.
int aeq_jack_load(char *error, size_t error_size);

/// Opens a client without starting a server. `server_name` may be NULL (default server or
/// $JACK_DEFAULT_SERVER). On failure returns NULL and sets `*status` to JACK's status bits.
aeq_jack_client *aeq_jack_client_open(const char *client_name, const char *server_name, int *status);
int aeq_jack_client_close(aeq_jack_client *client);
const char *aeq_jack_get_client_name(aeq_jack_client *client);

int aeq_jack_set_process_callback(aeq_jack_client *client, aeq_jack_process_fn fn, void *arg);
int aeq_jack_set_xrun_callback(aeq_jack_client *client, aeq_jack_xrun_fn fn, void *arg);
void aeq_jack_on_shutdown(aeq_jack_client *client, aeq_jack_shutdown_fn fn, void *arg);

/// Registers a 32-bit float audio port (input when `is_input` is non-zero).
aeq_jack_port *aeq_jack_port_register_audio(aeq_jack_client *client, const char *name, int is_input);
void *aeq_jack_port_get_buffer(aeq_jack_port *port, uint32_t nframes);
const char *aeq_jack_port_name(aeq_jack_port *port);

int aeq_jack_activate(aeq_jack_client *client);
int aeq_jack_deactivate(aeq_jack_client *client);
uint32_t aeq_jack_get_sample_rate(aeq_jack_client *client);
uint32_t aeq_jack_get_buffer_size(aeq_jack_client *client);
/// The server's DSP load in percent.
float aeq_jack_cpu_load(aeq_jack_client *client);
int aeq_jack_connect(aeq_jack_client *client, const char *source_port, const char *destination_port);

/// While `quiet` is non-zero, libjack's error and info messages are dropped (a client that
/// waits for its server to come back would otherwise print several lines per attempt);
/// otherwise they go to stderr as usual.
void aeq_jack_set_quiet(int quiet);

/// Physical audio ports: capture ports (which JACK calls outputs) when `capture` is
/// non-zero, playback ports otherwise. NULL-terminated; release with aeq_jack_free_ports.
const char **aeq_jack_physical_ports(aeq_jack_client *client, int capture);
void aeq_jack_free_ports(const char **ports);

/// SIGINT / SIGTERM set a flag instead of killing the process (and are unblocked in the
/// calling thread; call it after the JACK client is active, from the main thread).
void aeq_install_stop_signals(void);
int aeq_stop_requested(void);

/// CLOCK_MONOTONIC in nanoseconds (safe on the audio thread).
uint64_t aeq_monotonic_ns(void);

#endif
