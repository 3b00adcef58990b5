/*
 * Weir plugin ABI — the binary boundary between the weir host and its plugins.
 *
 * Rules that keep this boundary stable:
 *  - Every struct starts with `struct_size` (the descriptor and the host table
 *    start with `abi_version`, then `struct_size`). The reader checks both
 *    before touching any other field.
 *  - Structs and function tables only grow at the end. A field added later is
 *    used only when `struct_size` says it is present.
 *  - No exception and no C++ type crosses this boundary: plain data, C strings
 *    with explicit sizes and function pointers only.
 *  - Each side frees what it allocated. Batches belong to the host; instances
 *    belong to the plugin (created by `create`, released by `destroy`).
 *
 * Plugin authors normally write against the C++ SDK in <weir/sdk.hpp>, which
 * hides all of this.
 */
#ifndef WEIR_PLUGIN_H
#define WEIR_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI generation. The host refuses a plugin built for any other value. */
#define WEIR_ABI_VERSION 1u

/** Name of the single symbol a plugin exports. */
#define WEIR_ENTRY_SYMBOL "weir_plugin_entry"

/**
 * ELF section holding a `weir_plugin_marker`. The host reads it from the file
 * *before* dlopen, so a plugin of another ABI is refused without running any
 * of its code (dlopen would run its static constructors).
 */
#define WEIR_MARKER_SECTION ".weir_plugin"
#define WEIR_MARKER_MAGIC "WEIRPLG"

typedef struct weir_plugin_marker {
    char magic[8];        /* WEIR_MARKER_MAGIC, NUL-terminated */
    uint32_t abi_version; /* WEIR_ABI_VERSION the plugin was built against */
    uint32_t struct_size; /* sizeof(weir_plugin_marker) */
} weir_plugin_marker;

/* ---- status codes ------------------------------------------------------- */

/*
 * One meaning each, whoever returns them and whatever the plugin's flags.
 * For an output's `write` and `ack`:
 *  - WEIR_OK       delivered; the inputs hear WEIR_OK.
 *  - WEIR_RETRY    not delivered this time (endpoint down, disk full): the
 *                  host writes the batch again after a backoff. Only while the
 *                  host still holds the batch: from `write`, or in `ack` from
 *                  an output without WEIR_PLUGIN_BUFFERS (a buffering output
 *                  retries from its own copy).
 *  - WEIR_ERROR    failed and given up, not retried: counted as
 *                  weir_errors_total{reason="write_failed"}; the inputs hear
 *                  WEIR_ERROR (not delivered: a file input keeps its
 *                  checkpoint before it and reads it again after a restart).
 *  - WEIR_REFUSED  refused for good (a constraint violation, an HTTP 400):
 *                  dropped and counted as weir_events_dropped_total{reason}
 *                  (see `refuse`), never retried; the inputs hear WEIR_OK,
 *                  since reading it again would only be refused again.
 * A plugin whose descriptor ends before `option_rules` was built when
 * WEIR_ERROR from `write` (and from `ack` without WEIR_PLUGIN_BUFFERS) meant
 * "retry": the host keeps that meaning for it.
 */
enum {
    WEIR_OK = 0,      /* done */
    WEIR_ERROR = 1,   /* failed; not retried by the host */
    WEIR_RETRY = 2,   /* temporarily unable (queue full, endpoint down): try again later */
    WEIR_PENDING = 3, /* output write accepted; the plugin calls host->ack later */
    /* ordered parsers (WEIR_PLUGIN_ORDERED) only, from `process`: */
    WEIR_HELD = 4,       /* lines of this batch's stream are held back, all from this batch */
    WEIR_HELD_OLDER = 5, /* lines held back began in an earlier batch of the stream */
    /* outputs, from `write` or in `ack` (present with option_rules): */
    WEIR_REFUSED = 6 /* refused for good: dropped, counted, never retried */
};

/* ---- plugin kinds ------------------------------------------------------- */

enum { WEIR_KIND_INPUT = 1, WEIR_KIND_PARSER = 2, WEIR_KIND_FILTER = 3, WEIR_KIND_OUTPUT = 4 };

/* ---- option table --------------------------------------------------------- */

enum {
    WEIR_OPT_STRING = 1,
    WEIR_OPT_INT = 2,
    WEIR_OPT_FLOAT = 3,
    WEIR_OPT_BOOL = 4,
    WEIR_OPT_DURATION = 5,   /* "30s", "250ms", "5m"; read as nanoseconds */
    WEIR_OPT_SIZE = 6,       /* "64MiB", "512k"; read as bytes */
    WEIR_OPT_STRING_LIST = 7 /* a YAML sequence of strings (a single string is a list of one; a default of ""
                                is the empty list) */
};

/**
 * One option a plugin accepts. The host validates the YAML against this table
 * (unknown keys, missing required options, types, units) before `create` runs,
 * and uses it for `weir plugins --describe` and the generated docs.
 */
typedef struct weir_option_def {
    uint32_t struct_size;
    int32_t type; /* WEIR_OPT_* */
    const char* name;
    const char* default_value; /* as it would be written in YAML; NULL: no default */
    int32_t required;          /* non-zero: must be given */
    const char* help;          /* one sentence */
} weir_option_def;

/* ---- option rules (descriptor field `option_rules`) ------------------------
 * What a value may be, checked by the host when a stage is configured (the
 * error names file:line:col of the value, with a did-you-mean for allowed
 * values), and shown by `weir plugins --describe` and the plugin READMEs.
 * A separate table parallel to `options`, so that weir_option_def keeps its
 * size and a host that predates the rules still reads the option table. */

enum {
    /** The value is a credential: never printed (status, logs, validate,
     *  --describe, errors); the host also masks it in the plugin's own
     *  log lines and refusals. */
    WEIR_OPT_SECRET = 1u << 0
};

typedef struct weir_option_rules {
    uint32_t struct_size; /* sizeof(weir_option_rules); every entry of a table has the first one's size */
    uint32_t flags;       /* WEIR_OPT_SECRET */
    /** STRING and STRING_LIST: the values allowed, separated by '|'
     *  ("gzip|none"); NULL: any. */
    const char* allowed;
    /** INT, FLOAT, DURATION and SIZE: the smallest and largest value allowed,
     *  written as in YAML ("1", "0.5", "10ms", "4KiB"); NULL: no bound. */
    const char* min;
    const char* max;
    /** What an empty (or zero) value means, e.g. "the system's CAs", "no
     *  limit"; NULL: nothing special. */
    const char* empty_means;
} weir_option_rules;

/* ---- values inside events ------------------------------------------------- */

typedef struct weir_str {
    const char* data; /* not NUL-terminated */
    size_t size;
} weir_str;

enum {
    WEIR_VAL_NULL = 0,
    WEIR_VAL_BOOL = 1,
    WEIR_VAL_INT = 2,
    WEIR_VAL_FLOAT = 3,
    WEIR_VAL_STRING = 4,
    WEIR_VAL_OBJECT = 5,
    WEIR_VAL_ARRAY = 6
};

/** Handle of an object or array inside one batch. 0 means "none". */
typedef uint32_t weir_node;
/** Handle of one entry (key + value) of an object or array. 0 means "end". */
typedef uint32_t weir_entry;

typedef struct weir_value {
    int32_t type; /* WEIR_VAL_* */
    int32_t reserved;
    union {
        int32_t b;      /* WEIR_VAL_BOOL: 0 or 1 */
        int64_t i;      /* WEIR_VAL_INT */
        double f;       /* WEIR_VAL_FLOAT */
        weir_str s;     /* WEIR_VAL_STRING: valid while the batch lives */
        weir_node node; /* WEIR_VAL_OBJECT / WEIR_VAL_ARRAY */
    } as;
} weir_value;

/* Event flags. */
enum {
    WEIR_EVENT_PARSE_ERROR = 1u << 0, /* the parser could not parse the body; the raw text is kept */
    WEIR_EVENT_DROPPED = 1u << 1,     /* a filter dropped it; the host removes it after the filter */
    WEIR_EVENT_TRUNCATED = 1u << 2    /* the input cut an oversized record */
};

/* Flags for event_add and put. */
enum {
    WEIR_ADD_BORROW = 1u << 0, /* the bytes (for put: the key's too) already live in this batch (batch_alloc)
                                  or are static: no copy */
    WEIR_PUT_APPEND = 1u << 1  /* the caller guarantees the key is new in this object: skip the lookup */
};

/* Counters a plugin reports itself. The host counts events/bytes in and out. */
enum {
    WEIR_COUNT_DROPPED = 1, /* events dropped, by reason */
    WEIR_COUNT_ERRORS = 2,  /* errors (events kept), by reason */
    /* outcomes that are not errors (events enriched, redacted, spooled...),
     * by name; a host older than this value counts them as errors */
    WEIR_COUNT_OUTCOMES = 3
};

enum { WEIR_LOG_ERROR = 0, WEIR_LOG_WARN = 1, WEIR_LOG_INFO = 2, WEIR_LOG_DEBUG = 3 };

/* ---- opaque host objects --------------------------------------------------
 * A batch handed to an output is shared by every output of the pipeline:
 * outputs read it and must not modify it. Parsers and filters own the batch
 * for the duration of `process` and may change it freely. */

typedef struct weir_batch weir_batch;         /* a batch of events; owns their memory */
typedef struct weir_ctx weir_ctx;             /* the host side of one plugin instance */
typedef struct weir_options weir_options;     /* validated options of one instance */
typedef struct weir_condition weir_condition; /* a compiled condition (see condition_compile) */
typedef struct weir_live weir_live;           /* a live channel (see live_open) */

/** What live_open is asked for. Zero limits mean "no bound". */
typedef struct weir_live_options {
    uint32_t struct_size;     /* sizeof(weir_live_options) */
    const char* channel;      /* served at /api/v1/live/<channel>; NUL-terminated */
    uint64_t buffer_events;   /* per subscriber; when full the oldest are dropped (0: 1,000) */
    uint64_t max_subscribers; /* in all */
    uint64_t max_per_token;
    double max_events_per_second; /* per subscriber */
    /* A listener of the channel's own, "host:port" (NULL or "": none), and
     * the PEM files that make it TLS (both or neither). */
    const char* listen;
    const char* tls_cert_file;
    const char* tls_key_file;
} weir_live_options;

/**
 * Services the host offers to plugins. Passed to `create`; valid for the whole
 * life of the instance. Thread rules are noted per group.
 */
typedef struct weir_host_api {
    uint32_t abi_version;
    uint32_t struct_size;

    /* -- instance services: any thread ----------------------------------- */
    /** Log one line under the instance's prefix ("[parser:json:main]"); rate limited. */
    void (*log)(weir_ctx* ctx, int32_t level, const char* msg, size_t len);
    /** Add `n` to a counter (WEIR_COUNT_*) labelled with `reason` (a short snake_case word). */
    void (*count)(weir_ctx* ctx, int32_t counter, const char* reason, uint64_t n);
    /** Name of this instance, unique within its pipeline. */
    weir_str (*instance_name)(weir_ctx* ctx);
    /** Name of the pipeline this instance belongs to. */
    weir_str (*pipeline_name)(weir_ctx* ctx);
    /** A directory owned by this instance that survives restarts (checkpoints). Created by the host. */
    weir_str (*state_dir)(weir_ctx* ctx);

    /* -- options: during create only -------------------------------------- */
    /** Non-zero if the option was given in the config or has a default. */
    int32_t (*opt_is_set)(const weir_options* o, const char* name);
    weir_str (*opt_string)(const weir_options* o, const char* name);
    /** INT, BOOL (0/1), DURATION (nanoseconds) and SIZE (bytes) options. */
    int64_t (*opt_int)(const weir_options* o, const char* name);
    double (*opt_float)(const weir_options* o, const char* name);
    size_t (*opt_list_size)(const weir_options* o, const char* name);
    weir_str (*opt_list_item)(const weir_options* o, const char* name, size_t index);

    /* -- inputs: on the input's own thread -------------------------------- */
    /** A new empty batch owned by the caller until emitted or freed. */
    weir_batch* (*batch_new)(weir_ctx* ctx);
    /** Release a batch that was not emitted. */
    void (*batch_free)(weir_batch* batch);
    /** Non-zero when the batch reached the pipeline's batch limits (events or bytes). */
    int32_t (*batch_full)(weir_ctx* ctx, const weir_batch* batch);
    /**
     * Hand a batch to the pipeline. The host takes ownership on WEIR_OK.
     * Blocks while the pipeline's queue is full (backpressure) unless `nonblock`
     * is non-zero, in which case it returns WEIR_RETRY and the caller keeps the batch.
     * `ack_cookie` comes back through the descriptor's `input_ack` once every
     * output has acknowledged the batch.
     */
    int32_t (*emit)(weir_ctx* ctx, weir_batch* batch, uint64_t ack_cookie, int32_t nonblock);
    /** Non-zero once the host wants the input to return from `input_run`. */
    int32_t (*should_stop)(weir_ctx* ctx);

    /* -- outputs ------------------------------------------------------------ */
    /** Complete a write that returned WEIR_PENDING. status: WEIR_OK, WEIR_RETRY,
     *  WEIR_ERROR or WEIR_REFUSED (see the status codes). Any thread. */
    void (*ack)(weir_ctx* ctx, uint64_t ack_token, int32_t status);

    /* -- batch and event access: by the thread that currently holds the batch */
    size_t (*batch_size)(const weir_batch* b);
    /** Sum of the body sizes of the events in the batch. */
    size_t (*batch_bytes)(const weir_batch* b);
    /** `n` bytes of scratch memory living as long as the batch (never NULL). */
    char* (*batch_alloc)(weir_batch* b, size_t n);
    /** Append an event; the body is copied unless WEIR_ADD_BORROW. Returns its index. */
    size_t (*event_add)(weir_batch* b, const char* body, size_t len, int64_t time_ns, uint32_t flags);
    weir_str (*event_body)(const weir_batch* b, size_t i);
    void (*event_set_body)(weir_batch* b, size_t i, const char* body, size_t len, uint32_t flags);
    /** Event time, nanoseconds since the Unix epoch, UTC. */
    int64_t (*event_time)(const weir_batch* b, size_t i);
    void (*event_set_time)(weir_batch* b, size_t i, int64_t time_ns);
    uint32_t (*event_flags)(const weir_batch* b, size_t i);
    void (*event_set_flags)(weir_batch* b, size_t i, uint32_t flags);
    /** The root object holding the event's fields. */
    weir_node (*event_fields)(weir_batch* b, size_t i);

    /**
     * Set `key` in object `parent` (replacing an existing entry unless
     * WEIR_PUT_APPEND) or append to array `parent` (key ignored). Strings are
     * copied unless WEIR_ADD_BORROW. For WEIR_VAL_OBJECT / WEIR_VAL_ARRAY a new
     * empty container is created and its handle returned; otherwise returns 0.
     */
    weir_node (*put)(weir_batch* b, weir_node parent, const char* key, size_t key_len,
                     const weir_value* value, uint32_t flags);
    /** Look up `key` in object `parent`. Returns non-zero and fills `out` if found. */
    int32_t (*get)(const weir_batch* b, weir_node parent, const char* key, size_t key_len, weir_value* out);
    /** Remove `key` from object `parent`. Returns non-zero if it was there. */
    int32_t (*remove)(weir_batch* b, weir_node parent, const char* key, size_t key_len);
    /** First entry of an object or array (0 when empty). */
    weir_entry (*first)(const weir_batch* b, weir_node parent);
    /** Entry after `e` (0 at the end). */
    weir_entry (*next)(const weir_batch* b, weir_entry e);
    /** Read an entry. `key` is empty for array elements. */
    void (*entry)(const weir_batch* b, weir_entry e, weir_str* key, weir_value* value);
    /**
     * The event as one line of JSON (no newline). The text lives in a buffer
     * of the calling thread, valid until that thread's next event_json call;
     * the batch itself is not modified (outputs share it read-only).
     */
    weir_str (*event_json)(const weir_batch* b, size_t i);

    /* -- streams (present when struct_size covers them) ------------------- */
    /**
     * Which stream of its input a batch's events come from: a file, a
     * connection. Inputs name it with batch_set_stream (a batch holds the
     * events of one stream); the host prefixes the input instance, so streams
     * of two inputs never compare equal. Valid while the batch lives.
     */
    weir_str (*batch_stream)(const weir_batch* b);
    void (*batch_set_stream)(weir_batch* b, const char* name, size_t len);
    /** For ordered parsers and timed filters: WEIR_FLUSH_NONE, WEIR_FLUSH_DUE or WEIR_FLUSH_ALL. */
    int32_t (*batch_flush)(const weir_batch* b);

    /* -- conditions (present when struct_size covers them): any thread ---- */
    /**
     * Compiles a condition of Weir's condition language (words, "phrases",
     * field:value, field:prefix*, status>=500, field:(a OR b), _exists_:f,
     * dotted paths, AND/OR/NOT, parentheses). Returns NULL on a syntax
     * error, with a one-line message naming the position in `err`. The
     * handle may be used from any thread at once; free it with condition_free.
     */
    weir_condition* (*condition_compile)(const char* text, size_t len, char* err, size_t err_cap);
    /** Non-zero if event i of the batch matches. */
    int32_t (*condition_matches)(const weir_condition* c, const weir_batch* b, size_t i);
    /**
     * Flags as dropped every event that matches (drop_matching non-zero) or
     * that does not (zero); returns how many it flagged. One call per batch.
     */
    size_t (*condition_drop)(const weir_condition* c, weir_batch* b, int32_t drop_matching);
    void (*condition_free)(weir_condition* c);

    /* -- refused writes (present when struct_size covers it): any thread --
     * A host whose table reaches `refuse` also checks option_rules. */
    /**
     * Settles output write `ack_token` as WEIR_REFUSED, with why (a short
     * snake_case word: weir_events_dropped_total{reason}; the host counts the
     * batch's events). Call it from inside `write`, which then returns
     * WEIR_REFUSED, or instead of `ack` for a write that returned
     * WEIR_PENDING. `ack(ctx, token, WEIR_REFUSED)` is the same with the
     * reason "refused".
     */
    void (*refuse)(weir_ctx* ctx, uint64_t ack_token, const char* reason);
    /**
     * The store (present when struct_size covers it), for outputs: hands the
     * batch's events to the daemon's embedded store and returns WEIR_PENDING;
     * the host then acknowledges `ack_token` itself once they are durably
     * committed (WEIR_ERROR if the store closed first). Copies what it needs
     * before returning; blocks while the store's queue is full. Returns
     * WEIR_ERROR, taking nothing, when the daemon runs without a store. With
     * `batch` NULL: waits until every write of this context is acknowledged
     * (call it from destroy).
     */
    int32_t (*store_write)(weir_ctx* ctx, const weir_batch* batch, uint64_t ack_token);

    /* -- live channels (present when struct_size covers them) ------------- */
    /**
     * Opens or joins live channel `o->channel`, which the daemon's API serves
     * to WebSocket, SSE and NDJSON clients with the live tail's filters,
     * buffers, drop notices and token checks (docs/tail.md). Its limits
     * apply to subscribers that come later. With `o->listen`, the channel
     * is also served on that listener. Returns NULL with a one-line reason
     * in `err` (a listener that cannot bind). Call from create.
     */
    weir_live* (*live_open)(weir_ctx* ctx, const weir_live_options* o, char* err, size_t err_cap);
    /**
     * Hands the batch's events (those not flagged dropped) to the channel's
     * subscribers. Never blocks: what they cannot take is dropped and
     * reported to them. Copies what it needs. Any thread.
     */
    void (*live_publish)(weir_live* live, const weir_batch* batch);
    /** Leaves the channel (subscribers stay connected). Call from destroy. */
    void (*live_close)(weir_live* live);
} weir_host_api;

/** Size of the oldest host table a plugin may meet (up to the streams). */
#define WEIR_HOST_API_MIN_SIZE offsetof(weir_host_api, batch_stream)
/** Non-zero if host table `h` has member `field` (for feature checks). */
#define WEIR_HOST_HAS(h, field) ((h)->struct_size >= offsetof(weir_host_api, field) + sizeof((h)->field))

/* Descriptor flags. */
enum {
    /** `process` may be called concurrently on one instance; otherwise the
     *  host creates one instance per worker thread. */
    WEIR_PLUGIN_THREAD_SAFE = 1u << 0,
    /** A parser that joins or splits events across batches (multiline). The
     *  host creates one instance and calls `process` one batch at a time, in
     *  the order each input emitted them, on the input's thread. The parser
     *  may hold events back: it returns WEIR_HELD or WEIR_HELD_OLDER, and the
     *  host withholds the input's acknowledgement of the batches concerned
     *  until the held lines have been released in a later batch of the same
     *  stream (see `batch_stream`). Every 100 ms the host also calls `process`
     *  with an empty batch for which `batch_flush` says WEIR_FLUSH_DUE, and
     *  at shutdown with WEIR_FLUSH_ALL: the parser then adds the events of
     *  ONE stream it releases, names it with `batch_set_stream` and returns
     *  (WEIR_OK if nothing of that stream is held any more); the host calls
     *  again until a call adds nothing. */
    WEIR_PLUGIN_ORDERED = 1u << 1,
    /** An output that copies what `write` needs before returning WEIR_PENDING
     *  and bounds its own backlog (blocking in `write` when it is full), such
     *  as a disk-spooling output. The host then does not cap its
     *  unacknowledged writes and may recycle a batch while its acknowledgement
     *  is still due. Such an output retries by itself (it has its copy), so
     *  it acknowledges with WEIR_OK, WEIR_ERROR or WEIR_REFUSED, never
     *  WEIR_RETRY (which the host would have to treat as WEIR_ERROR). */
    WEIR_PLUGIN_BUFFERS = 1u << 2,
    /** A filter that emits events of its own over time (window summaries).
     *  About every 100 ms the host runs the pipeline's filters on an empty
     *  batch for which `batch_flush` says WEIR_FLUSH_DUE, and once at stop,
     *  after the last events, on one for which it says WEIR_FLUSH_ALL; the
     *  filter may add events to it, which then go through the later filters
     *  to the outputs. The batch reaches one instance: declare
     *  WEIR_PLUGIN_THREAD_SAFE too, so that instance holds all the state.
     *  A host older than this flag ignores it. */
    WEIR_PLUGIN_TIMED = 1u << 3
};

/* What `batch_flush` says about a batch handed to an ordered parser or a
 * timed filter. */
enum {
    WEIR_FLUSH_NONE = 0, /* a batch of new events */
    WEIR_FLUSH_DUE = 1,  /* an empty batch: add what has waited long enough */
    WEIR_FLUSH_ALL = 2   /* an empty batch at shutdown: add everything held */
};

/**
 * What a plugin is and how to drive it. Returned by the entry symbol; must stay
 * valid while the library is loaded.
 *
 * Threads: `create`/`destroy` run on the control thread. `input_run` runs on a
 * thread of its own until `should_stop`; `input_stop` is called from the
 * control thread to wake it. `input_ack` is called from an output thread.
 * `process` runs on a pipeline worker. `write` and `flush` run on the output's
 * single writer thread. No function may let an exception escape.
 */
typedef struct weir_plugin_descriptor {
    uint32_t abi_version; /* WEIR_ABI_VERSION */
    uint32_t struct_size; /* sizeof(weir_plugin_descriptor) */
    int32_t kind;         /* WEIR_KIND_* */
    uint32_t flags;       /* WEIR_PLUGIN_* */
    const char* name;     /* the `type:` users write; [a-z0-9_]+ */
    const char* version;
    const char* description;
    const weir_option_def* options;
    size_t option_count;

    /** Make an instance. On failure return WEIR_ERROR with a one-line reason in `err`. */
    int32_t (*create)(const weir_host_api* host, weir_ctx* ctx, const weir_options* options, void** instance,
                      char* err, size_t err_cap);
    void (*destroy)(void* instance);

    /* inputs */
    int32_t (*input_run)(void* instance);
    void (*input_stop)(void* instance);
    /** status: WEIR_OK when every output has the batch, WEIR_ERROR when it was abandoned. */
    void (*input_ack)(void* instance, uint64_t ack_cookie, int32_t status);

    /* parsers and filters: work on the batch in place */
    int32_t (*process)(void* instance, weir_batch* batch);

    /* outputs: WEIR_OK, WEIR_RETRY, WEIR_ERROR, WEIR_REFUSED (see the status
       codes) or WEIR_PENDING (plugin calls host->ack(ack_token) later) */
    int32_t (*write)(void* instance, weir_batch* batch, uint64_t ack_token);
    int32_t (*flush)(void* instance);

    /* -- present when struct_size covers it (the host reads it only then) -- */
    /**
     * SIGHUP (or POST /api/v1/reload) found this instance's pipeline
     * unchanged: re-read what the instance loaded from files (keys, databases,
     * lookup tables). Runs on the control thread while the instance keeps
     * working: the plugin swaps its data safely itself. On failure return
     * WEIR_ERROR with a one-line reason in `err`; the instance keeps what it
     * had. May be NULL.
     */
    int32_t (*reload)(void* instance, char* err, size_t err_cap);

    /* -- present when struct_size covers it ----------------------------------- */
    /** NULL, or one entry per entry of `options` (same order): what each
     *  value may be. An entry with every field 0/NULL has no rules. */
    const weir_option_rules* option_rules;
} weir_plugin_descriptor;

/** Size of the first descriptor layout; a host accepts any descriptor at least this big. */
#define WEIR_DESCRIPTOR_MIN_SIZE offsetof(weir_plugin_descriptor, reload)
/** A descriptor that reaches this has option_rules and speaks the statuses'
 *  present meanings (WEIR_ERROR from `write` is not retried). */
#define WEIR_DESCRIPTOR_RULES_SIZE \
    (offsetof(weir_plugin_descriptor, option_rules) + sizeof(const weir_option_rules*))

/** Signature of WEIR_ENTRY_SYMBOL. `host_abi_version` lets a plugin refuse a host. */
typedef const weir_plugin_descriptor* (*weir_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* WEIR_PLUGIN_H */
