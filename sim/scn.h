/*
 * scn.h: the scenario language's parser core. A scenario (`*.scn`, see
 * scenarios/README.md) is line based: world settings, nodes with Kafka-style
 * properties, a timeline of verbs (`at 5s crash echo1`, `every 2s from 10s until 30s
 * ...`, bare setup lines), a run duration and the invariants to expect. The whole
 * file is parsed and checked before anything runs; the first error is reported as
 * `FILE:LINE:COL: what was expected`.
 *
 * The core knows only the statements `world`, `node`, `at`, `every`, `run` and
 * `expect`. Everything else comes from tables: verbs (struct scn_verb, a name, a
 * parse function and an exec function), node kinds (struct scn_node_kind, a `type=`
 * name, the world node type and its known properties) and invariants (struct
 * inv_def). Modules export static const tables bundled as struct scn_module; the
 * program assembles the modules it wants into a struct scn_lang. Later issues add
 * brokers, topics, producers and their invariants as new modules, without touching
 * this file. Kafka's own tools read `.properties` files the same key=value way.
 *
 * Ownership: a parsed script owns its nodes, actions and the verbs' argument blocks;
 * it borrows the language's tables (static const) for its lifetime.
 */
#ifndef SIM_SCN_H
#define SIM_SCN_H

#include <stdio.h>

#include "../system/props.h"
#include "inv.h"
#include "world.h"

#define SCN_FILE_BYTES_MAX (4u << 20)
#define SCN_LINES_MAX 100000u
#define SCN_LINE_BYTES_MAX 4096u
#define SCN_LINE_TOKENS_MAX 256u
#define SCN_NODES_MAX WORLD_NODES_MAX
#define SCN_ACTIONS_MAX 65536u
#define SCN_EXPECTS_MAX INV_CHECKERS_MAX
#define SCN_TIMES_MAX 65536u /* times named inside verbs' words */
#define SCN_MODULES_MAX 16u
#define SCN_MODULE_ENTRIES_MAX 256u /* verbs, node kinds or invariants in one module */
#define SCN_ERROR_BYTES_MAX 512u
#define SCN_REPEAT_FIRINGS_MAX 1000000u /* firings of one `every` line */
#define SCN_DURATION_NS_MAX (24ull * 3600ull * 1000000000ull * 30ull) /* 30 days */

struct scn_parser;
struct runner_exec; /* the runner's per-run state handed to exec functions (runner.h) */

/* A place in the script: 1-based line and byte column. */
struct scn_pos {
    uint32_t line;
    uint32_t col;
};

struct scn_error {
    char file[256];
    struct scn_pos pos; /* line 0: the file as a whole (cannot be read) */
    char message[SCN_ERROR_BYTES_MAX];
};

/* Print `FILE:LINE:COL: message` and a newline. */
void scn_error_print(const struct scn_error *error, FILE *out);

/* ---- Tables that extend the language ---------------------------------------------- */

enum {
    SCN_VERB_TIMED = 1u << 0, /* may follow `at TIME` and `every PERIOD` */
    SCN_VERB_BARE = 1u << 1,  /* may stand alone: runs at time 0, in script order */
};

/* A verb. parse reads the words after the verb's name through the cursor functions
 * below and returns its argument block in *args_out (ks_alloc'd, or NULL); it returns
 * false after reporting an error through scn_fail (or a cursor function). exec runs
 * it at its time; args are read only there (an `every` line runs the same block
 * again). free_args frees the block (NULL: free()). */
struct scn_verb {
    const char *name;
    const char *usage; /* "crash NODES", shown in errors and docs */
    unsigned flags;
    bool (*parse)(struct scn_parser *parser, void **args_out);
    void (*exec)(struct runner_exec *exec, const void *args);
    void (*free_args)(void *args);
};

enum scn_prop_kind {
    SCN_PROP_STRING,
    SCN_PROP_INT,  /* decimal, within [min, max] */
    SCN_PROP_BOOL, /* true or false */
    SCN_PROP_NODE, /* the name of a node declared before */
};

/* One known property of a node kind. */
struct scn_prop_spec {
    const char *key;
    enum scn_prop_kind kind;
    bool required;
    int64_t min; /* SCN_PROP_INT only */
    int64_t max;
};

/* A kind of node: `node NAME type=<name> key=value...`. */
struct scn_node_kind {
    const char *name;
    const struct world_node_type *type;
    const char *summary;
    /* Known properties; when props is NULL any key is taken as a string. */
    const struct scn_prop_spec *props;
    uint32_t prop_count;
};

struct scn_module {
    const char *name;
    const struct scn_verb *verbs;
    uint32_t verb_count;
    const struct scn_node_kind *node_kinds;
    uint32_t node_kind_count;
    const struct inv_def *const *invariants;
    uint32_t invariant_count;
};

/* A language: the modules a program assembled, searched in order. */
struct scn_lang {
    const struct scn_module *const *modules;
    uint32_t module_count;
};

/* Check a language: no name twice among verbs (or a core statement), node kinds or
 * invariants; limits kept. On error writes what clashes into message. */
KS_MUST_CHECK enum ks_err scn_lang_check(const struct scn_lang *lang, char *message,
                                         size_t message_bytes);
const struct scn_verb *scn_lang_verb(const struct scn_lang *lang, const char *name);
const struct scn_node_kind *scn_lang_node_kind(const struct scn_lang *lang, const char *name);
const struct inv_def *scn_lang_invariant(const struct scn_lang *lang, const char *name);

/* ---- A parsed script ------------------------------------------------------------- */

struct scn_world_settings {
    bool seed_set;
    uint64_t seed;
    bool latency_set;
    uint64_t latency_ns_min;
    uint64_t latency_ns_max;
    bool connect_timeout_set;
    uint64_t connect_timeout_ns;
    bool buggify_set;
    uint32_t buggify_ppm;
    bool epoch_set;
    int64_t wall_epoch_ms;
};

struct scn_node {
    char name[WORLD_NODE_NAME_BYTES_MAX];
    const struct scn_node_kind *kind;
    struct props config; /* without the scenario's own keys `type` and `start` */
    bool start_never;    /* start=never: only a verb starts it */
    uint64_t start_ns;   /* start=TIME, default 0 */
    struct scn_pos pos;
};

enum scn_when {
    SCN_WHEN_BARE,  /* a bare line: at time 0, in script order */
    SCN_WHEN_AT,    /* at at_ns */
    SCN_WHEN_EVERY, /* at at_ns, at_ns + every_ns, ... while < until_ns */
};

struct scn_action {
    const struct scn_verb *verb;
    void *args;
    enum scn_when when;
    uint64_t at_ns;
    uint64_t every_ns;
    uint64_t until_ns;
    bool until_set;          /* else until the end of the run */
    struct scn_pos pos;      /* the verb's name */
    struct scn_pos time_pos; /* the time (at) or the period (every) */
    char *text;              /* the verb and its words, for traces */
};

/* A point in time a verb's words named (scn_time), checked against the run's end. */
struct scn_time_ref {
    uint64_t ns;
    struct scn_pos pos;
};

struct scn_expect {
    const struct inv_def *def;
    struct scn_pos pos;
};

struct scn_script {
    char *file;
    struct scn_world_settings world;
    struct scn_node *nodes[SCN_NODES_MAX];
    uint32_t node_count;
    struct scn_action *actions; /* in script order */
    uint32_t action_count;
    uint32_t action_capacity;
    struct scn_expect expects[SCN_EXPECTS_MAX];
    uint32_t expect_count;
    struct scn_time_ref *times; /* from verbs' scn_time calls */
    uint32_t time_count;
    uint32_t time_capacity;
    bool run_set;
    uint64_t run_ns;
    struct scn_pos run_pos;
    uint32_t line_count;
};

/* Parse text (the contents of file) completely. On success *script_out owns the
 * script; on error *script_out is NULL and error says where and what. */
KS_MUST_CHECK enum ks_err scn_parse(const struct scn_lang *lang, const char *file, const char *text,
                                    struct scn_script **script_out, struct scn_error *error);
/* Read and parse a file. */
KS_MUST_CHECK enum ks_err scn_parse_file(const struct scn_lang *lang, const char *path,
                                         struct scn_script **script_out, struct scn_error *error);
void scn_script_free(struct scn_script *script);

/* The node's index (its order of declaration, and its world id), or -1. */
int scn_node_find(const struct scn_script *script, const char *name);

/* ---- The cursor, for verbs' parse functions ---------------------------------------- */

/* One word of a line; text is NUL-terminated and lives until the line is done. */
struct scn_token {
    const char *text;
    uint32_t len;
    uint32_t col;
};

/* A set of nodes: names separated by commas, or `all` (every node of the world). */
struct scn_node_set {
    bool all;
    uint32_t count;
    uint16_t ids[SCN_NODES_MAX];
};

/* The script as parsed so far (nodes declared before this line). */
const struct scn_script *scn_parser_script(const struct scn_parser *parser);
/* The line being parsed (1-based). */
uint32_t scn_parser_line(const struct scn_parser *parser);

/* Report an error at token `at` (NULL: at the end of the line). Returns false, so a
 * parse function can `return scn_fail(...)`. Only the first error counts. */
bool scn_fail(struct scn_parser *parser, const struct scn_token *at, const char *fmt, ...)
    KS_PRINTF(3, 4);

/* The next word without taking it; false at the end of the line. */
bool scn_peek(const struct scn_parser *parser, struct scn_token *out);
/* Take the next word; at the end of the line report "expected <what>". */
bool scn_next(struct scn_parser *parser, const char *what, struct scn_token *out);
/* Take the next word when it is `word`. */
bool scn_accept(struct scn_parser *parser, const char *word);
/* Take `word` or report "expected '<word>'". */
bool scn_expect_word(struct scn_parser *parser, const char *word);
/* Report "expected end of line" when words are left. */
bool scn_end(struct scn_parser *parser);

/* Typed words. Each takes the next word (the scn_token_ forms read a given token,
 * e.g. the value of a key=value) and reports a precise error when it does not fit. */
bool scn_duration(struct scn_parser *parser, const char *what, uint64_t *ns_out);
bool scn_duration_signed(struct scn_parser *parser, const char *what, int64_t *ns_out);
/* `LO..HI` or a single duration (LO = HI). */
bool scn_duration_range(struct scn_parser *parser, const char *what, uint64_t *lo_ns_out,
                        uint64_t *hi_ns_out);
/* A point on the timeline (a duration from the start); the final pass checks that it
 * lies within the run. */
bool scn_time(struct scn_parser *parser, const char *what, uint64_t *ns_out);
bool scn_u64(struct scn_parser *parser, const char *what, uint64_t max, uint64_t *out);
bool scn_i64(struct scn_parser *parser, const char *what, int64_t min, int64_t max, int64_t *out);
bool scn_node(struct scn_parser *parser, uint16_t *id_out);
bool scn_nodes(struct scn_parser *parser, struct scn_node_set *out);
/* A `key=value` word; key and value point into separate tokens with their columns. */
bool scn_kv(struct scn_parser *parser, const char *what, struct scn_token *key_out,
            struct scn_token *value_out);

bool scn_token_duration(struct scn_parser *parser, const struct scn_token *token, uint64_t *ns_out);
bool scn_token_duration_signed(struct scn_parser *parser, const struct scn_token *token,
                               int64_t *ns_out);
bool scn_token_duration_range(struct scn_parser *parser, const struct scn_token *token,
                              uint64_t *lo_ns_out, uint64_t *hi_ns_out);
bool scn_token_u64(struct scn_parser *parser, const struct scn_token *token, uint64_t max,
                   uint64_t *out);
bool scn_token_i64(struct scn_parser *parser, const struct scn_token *token, int64_t min,
                   int64_t max, int64_t *out);
bool scn_token_nodes(struct scn_parser *parser, const struct scn_token *token,
                     struct scn_node_set *out);

/* Format a duration the way the language writes it ("1500ms", "2s"), for messages. */
void scn_duration_format(uint64_t ns, char *buf, size_t buf_bytes);

#endif
