/*
 * kbroker_main.c: the real broker, `kbroker [CONFIG.properties] [--override key=value ...]`,
 * started as Kafka's kafka-server-start.sh starts Kafka. Kafka: Kafka.main
 * (getPropsFromArgs: a properties file, then --override pairs), KafkaRaftServer
 * startup and shutdown hook, log4j's server.log line format.
 *
 * With no arguments: one combined node (process.roles=broker,controller, node.id 1) on
 * PLAINTEXT://127.0.0.1:9092 with its data in ./kbroker-data (created, formatted with a
 * new cluster.id on first start). Log lines go to stdout in server.log's format:
 *   [2026-11-25 12:00:00,000] INFO [KafkaRaftServer nodeId=1] Kafka Server started
 * (kafka.server.KafkaRaftServer) SIGTERM or SIGINT: stop taking requests, let in-flight answers go
 * out, close the log dir (checkpoints, .kafka_cleanshutdown), exit 0.
 *
 * Exit codes: 0 clean shutdown, 1 the node failed (a port taken, a bad data dir), 2 bad
 * usage or configuration.
 *
 * This file may use libc and the POSIX env; the node itself only sees env.h. The env
 * handed to the node wraps the POSIX env so that log and trace lines come out in
 * Kafka's format; every other call goes straight through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "system/posix/env_posix.h"
#include "system/server/knode.h"

#define KBROKER_CONFIG_BYTES_MAX (1u << 20)
#define KBROKER_OVERRIDES_MAX 256u
#define KBROKER_DRAIN_MS_MAX 10000u /* in-flight answers get this long at shutdown */
#define KBROKER_FLUSH_MS_MAX 5000u  /* then queued bytes get this long to leave */
#define KBROKER_ERROR_BYTES_MAX 512u
#define KBROKER_EXIT_OK 0
#define KBROKER_EXIT_FAILED 1
#define KBROKER_EXIT_USAGE 2

static const char kbroker_usage[] =
    "usage: kbroker [CONFIG.properties] [--override key=value ...] [--verbose]\n"
    "\n"
    "Starts a Kafka-compatible node, as kafka-server-start.sh does. Without a config\n"
    "file: one combined broker and controller (node.id=1) on PLAINTEXT://127.0.0.1:9092\n"
    "with its data in ./kbroker-data.\n"
    "\n"
    "Settings (Kafka's names): node.id, process.roles, listeners, advertised.listeners,\n"
    "controller.listener.names, controller.quorum.voters, log.dirs,\n"
    "socket.request.max.bytes, max.connections, queued.max.request.bytes, log.*.\n"
    "A listener port of 0 takes any free port (logged as 'Awaiting socket connections').\n"
    "\n"
    "  --override key=value   set a property over the file's (repeatable)\n"
    "  --verbose              also log every request and response (TRACE lines)\n"
    "  --help                 this text\n"
    "\n"
    "SIGTERM or SIGINT shuts down cleanly (writes .kafka_cleanshutdown). Exit codes:\n"
    "0 clean shutdown, 1 the node failed, 2 bad usage or configuration.\n";

/* ---- The logging env: Kafka's server.log lines, everything else passed through ---- */

struct kb_env {
    struct env base; /* first: the node gets &base */
    struct env *inner;
    FILE *out;
    bool verbose;
};

static struct env *kb_inner(struct env *env)
{
    return ((struct kb_env *)env)->inner;
}

/* "[2026-11-25 12:00:00,000] " in local time, as log4j's default pattern writes it. */
static void kb_timestamp(FILE *out)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t seconds = ts.tv_sec;
    localtime_r(&seconds, &tm);
    fprintf(out, "[%04d-%02d-%02d %02d:%02d:%02d,%03ld] ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
}

/* The logger a line's "[Name ...]" prefix belongs to in Kafka. */
static const char *kb_logger(const char *text)
{
    static const struct {
        const char *prefix;
        const char *logger;
    } loggers[] = {
        {"[SocketServer", "kafka.network.SocketServer"},
        {"[KafkaRaftServer", "kafka.server.KafkaRaftServer"},
        {"[BrokerServer", "kafka.server.BrokerServer"},
        {"[ControllerServer", "kafka.server.ControllerServer"},
        {"[LogManager", "kafka.log.LogManager"},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(loggers); i++) {
        if (strncmp(text, loggers[i].prefix, strlen(loggers[i].prefix)) == 0)
            return loggers[i].logger;
    }
    return "kafka.server.KafkaServer";
}

static void kb_line(struct kb_env *env, const char *level, const char *text, const char *logger)
{
    kb_timestamp(env->out);
    fprintf(env->out, "%s %s (%s)\n", level, text, logger);
    fflush(env->out);
}

static void kb_log(struct env *base, enum env_log_level level, const char *text)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    struct kb_env *env = (struct kb_env *)base;
    KS_ASSERT((unsigned)level < KS_ARRAY_COUNT(names));
    if (level == ENV_LOG_DEBUG && !env->verbose)
        return;
    kb_line(env, names[level], text, kb_logger(text));
}

static void kb_trace(struct env *base, const char *kind, const char *text)
{
    struct kb_env *env = (struct kb_env *)base;
    char line[1200];
    if (!env->verbose)
        return;
    snprintf(line, sizeof(line), "[%s] %s", kind, text);
    kb_line(env, "TRACE", line, strncmp(kind, "srv.", 4) == 0 ? "kafka.request.logger" : kind);
}

static int64_t kb_wall_ms(struct env *e)
{
    return env_wall_ms(kb_inner(e));
}
static uint64_t kb_mono_ns(struct env *e)
{
    return env_mono_ns(kb_inner(e));
}
static env_timer_id kb_timer_start(struct env *e, uint64_t d, env_timer_fn fn, void *ctx)
{
    return env_timer_start(kb_inner(e), d, fn, ctx);
}
static bool kb_timer_cancel(struct env *e, env_timer_id t)
{
    return env_timer_cancel(kb_inner(e), t);
}
static enum ks_err kb_listen(struct env *e, uint16_t port, env_accept_fn fn, void *ctx)
{
    return env_listen(kb_inner(e), port, fn, ctx);
}
static enum ks_err kb_connect(struct env *e, const char *host, uint16_t port,
                              const struct env_conn_handler *h, void *ctx, env_conn_id *out)
{
    return env_connect(kb_inner(e), host, port, h, ctx, out);
}
static enum ks_err kb_send(struct env *e, env_conn_id c, const uint8_t *b, uint32_t n)
{
    return env_send(kb_inner(e), c, b, n);
}
static void kb_close(struct env *e, env_conn_id c)
{
    env_close(kb_inner(e), c);
}
static enum ks_err kb_file_open(struct env *e, const char *p, unsigned f, env_file_id *out)
{
    return env_file_open(kb_inner(e), p, f, out);
}
static enum ks_err kb_file_read(struct env *e, env_file_id f, uint64_t off, uint8_t *b, uint32_t n,
                                uint32_t *got)
{
    return env_file_read(kb_inner(e), f, off, b, n, got);
}
static enum ks_err kb_file_write(struct env *e, env_file_id f, uint64_t off, const uint8_t *b,
                                 uint32_t n)
{
    return env_file_write(kb_inner(e), f, off, b, n);
}
static enum ks_err kb_file_size(struct env *e, env_file_id f, uint64_t *out)
{
    return env_file_size(kb_inner(e), f, out);
}
static enum ks_err kb_file_truncate(struct env *e, env_file_id f, uint64_t n)
{
    return env_file_truncate(kb_inner(e), f, n);
}
static enum ks_err kb_file_sync(struct env *e, env_file_id f)
{
    return env_file_sync(kb_inner(e), f);
}
static void kb_file_close(struct env *e, env_file_id f)
{
    env_file_close(kb_inner(e), f);
}
static enum ks_err kb_path_rename(struct env *e, const char *a, const char *b)
{
    return env_path_rename(kb_inner(e), a, b);
}
static enum ks_err kb_path_delete(struct env *e, const char *p)
{
    return env_path_delete(kb_inner(e), p);
}
static enum ks_err kb_dir_create(struct env *e, const char *p)
{
    return env_dir_create(kb_inner(e), p);
}
static enum ks_err kb_dir_list(struct env *e, const char *p, env_dir_entry_fn fn, void *ctx)
{
    return env_dir_list(kb_inner(e), p, fn, ctx);
}
static enum ks_err kb_dir_sync(struct env *e, const char *p)
{
    return env_dir_sync(kb_inner(e), p);
}
static uint64_t kb_random(struct env *e)
{
    return env_random(kb_inner(e));
}
static bool kb_buggify(struct env *e, const char *site)
{
    return env_buggify(kb_inner(e), site);
}

static const struct env_ops kb_env_ops = {
    .wall_ms = kb_wall_ms,
    .mono_ns = kb_mono_ns,
    .timer_start = kb_timer_start,
    .timer_cancel = kb_timer_cancel,
    .listen = kb_listen,
    .connect = kb_connect,
    .send = kb_send,
    .close = kb_close,
    .file_open = kb_file_open,
    .file_read = kb_file_read,
    .file_write = kb_file_write,
    .file_size = kb_file_size,
    .file_truncate = kb_file_truncate,
    .file_sync = kb_file_sync,
    .file_close = kb_file_close,
    .path_rename = kb_path_rename,
    .path_delete = kb_path_delete,
    .dir_create = kb_dir_create,
    .dir_list = kb_dir_list,
    .dir_sync = kb_dir_sync,
    .random = kb_random,
    .buggify = kb_buggify,
    .trace = kb_trace,
    .log = kb_log,
};

/* ---- Arguments and configuration ---- */

struct kb_args {
    const char *config_path; /* NULL: defaults only */
    const char *overrides[KBROKER_OVERRIDES_MAX];
    uint32_t override_count;
    bool verbose;
    bool help;
};

static int kb_usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "kbroker: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n%s", kbroker_usage);
    return KBROKER_EXIT_USAGE;
}

/* Returns KBROKER_EXIT_OK or KBROKER_EXIT_USAGE. */
static int kb_args_parse(int argc, char **argv, struct kb_args *args)
{
    memset(args, 0, sizeof(*args));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            args->help = true;
        } else if (strcmp(a, "--verbose") == 0) {
            args->verbose = true;
        } else if (strcmp(a, "--override") == 0 || strncmp(a, "--override=", 11) == 0) {
            const char *kv = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
            if (kv == NULL || strchr(kv, '=') == NULL || kv[0] == '=')
                return kb_usage_error("--override needs key=value, got '%s'", kv ? kv : "");
            if (args->override_count == KBROKER_OVERRIDES_MAX)
                return kb_usage_error("more than %s overrides", "256");
            args->overrides[args->override_count++] = kv;
        } else if (a[0] == '-') {
            return kb_usage_error("unknown option '%s'", a);
        } else if (args->config_path == NULL) {
            args->config_path = a;
        } else {
            return kb_usage_error("a second config file '%s'", a);
        }
    }
    return KBROKER_EXIT_OK;
}

/* Reads the whole file into a NUL-terminated buffer (free()). */
static char *kb_file_read_all(const char *path, const char **why)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *why = strerror(errno);
        return NULL;
    }
    char *text = ks_alloc(KBROKER_CONFIG_BYTES_MAX + 1);
    size_t n = fread(text, 1, KBROKER_CONFIG_BYTES_MAX + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || n > KBROKER_CONFIG_BYTES_MAX) {
        *why = failed ? "read error" : "larger than 1 MiB";
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

/* The file's properties, then the overrides. Returns an exit code. */
static int kb_props_load(const struct kb_args *args, struct props *props)
{
    if (args->config_path != NULL) {
        const char *why = NULL;
        uint32_t line = 0;
        char *text = kb_file_read_all(args->config_path, &why);
        if (text == NULL) {
            fprintf(stderr, "kbroker: cannot read %s: %s\n", args->config_path, why);
            return KBROKER_EXIT_USAGE;
        }
        enum ks_err err = props_parse(props, text, &line);
        free(text);
        if (err != KS_OK) {
            fprintf(stderr, "kbroker: %s:%u: not a properties line (%s)\n", args->config_path, line,
                    ks_err_name(err));
            return KBROKER_EXIT_USAGE;
        }
    }
    for (uint32_t i = 0; i < args->override_count; i++) {
        char key[PROPS_KEY_BYTES_MAX];
        const char *kv = args->overrides[i];
        size_t n = (size_t)(strchr(kv, '=') - kv);
        if (n >= sizeof(key) ||
            props_set(props, (memcpy(key, kv, n), key[n] = '\0', key), kv + n + 1) != KS_OK) {
            fprintf(stderr, "kbroker: bad --override '%s'\n", kv);
            return KBROKER_EXIT_USAGE;
        }
    }
    return KBROKER_EXIT_OK;
}

/* The one address every listener binds: numeric or "localhost"; "" is every interface. */
static int kb_bind_address(const struct knode_config *config, char *out, size_t out_bytes)
{
    const char *host = config->listeners[0].host;
    for (uint32_t i = 1; i < config->listener_count; i++) {
        if (strcmp(config->listeners[i].host, host) != 0) {
            fprintf(stderr,
                    "kbroker: listeners: every listener must use the same host here "
                    "(%s and %s)\n",
                    host, config->listeners[i].host);
            return KBROKER_EXIT_USAGE;
        }
    }
    uint8_t buf[16];
    bool numeric = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
    if (host[0] != '\0' && !numeric && strcmp(host, "localhost") != 0) {
        fprintf(stderr,
                "kbroker: listeners: host '%s' must be a numeric address, localhost or "
                "empty (no DNS lookups)\n",
                host);
        return KBROKER_EXIT_USAGE;
    }
    snprintf(out, out_bytes, "%s", host[0] != '\0' ? host : "0.0.0.0");
    return KBROKER_EXIT_OK;
}

/* Creates the log dir's parents (mkdir -p) and splits it into the env's data dir
 * (the parent) and the node's relative log dir (the last component). */
static int kb_data_dir(struct knode_config *config, char *parent, size_t parent_bytes)
{
    char path[KNODE_PATH_BYTES_MAX];
    snprintf(path, sizeof(path), "%s", config->log_dir);
    char *slash = strrchr(path, '/');
    const char *name = slash == NULL ? path : slash + 1;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        fprintf(stderr, "kbroker: log.dirs: '%s' must name a directory\n", config->log_dir);
        return KBROKER_EXIT_USAGE;
    }
    if (slash == NULL)
        snprintf(parent, parent_bytes, ".");
    else if (slash == path)
        snprintf(parent, parent_bytes, "/");
    else
        snprintf(parent, parent_bytes, "%.*s", (int)(slash - path), path);
    /* mkdir -p parent: one component a pass, bounded by the path's length. */
    for (char *p = parent + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(parent, 0755);
        *p = '/';
    }
    if (mkdir(parent, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "kbroker: cannot create %s: %s\n", parent, strerror(errno));
        return KBROKER_EXIT_FAILED;
    }
    memmove(config->log_dir, name, strlen(name) + 1);
    return KBROKER_EXIT_OK;
}

/* A seed for the node's random stream (cluster.id, directory.id): from the kernel. */
static uint64_t kb_seed(void)
{
    uint64_t seed = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &seed, sizeof(seed)) != (ssize_t)sizeof(seed))
            seed = 0;
        close(fd);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return seed ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
}

/* ---- Running ---- */

enum kb_state {
    KB_RUNNING,
    KB_DRAINING,
};

struct kb_run {
    struct posix_loop *loop;
    struct posix_env *penv;
    struct kb_env env;
    struct knode *node;
    int32_t node_id;
    enum kb_state state;
};

static void kb_listen_hook(void *ctx, struct knode *node, uint32_t index)
{
    struct kb_run *run = ctx;
    knode_listener_port_set(node, index, posix_env_listen_port_last(run->penv));
}

static void kb_on_signal(void *ctx, int signal_number)
{
    struct kb_run *run = ctx;
    char line[128];
    if (run->state != KB_RUNNING)
        return; /* already shutting down */
    snprintf(line, sizeof(line), "Terminating process due to signal %s",
             signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    kb_line(&run->env, "INFO", line, "org.apache.kafka.common.utils.LoggingSignalHandler");
    snprintf(line, sizeof(line), "[KafkaRaftServer nodeId=%d] shutting down", run->node_id);
    kb_log(&run->env.base, ENV_LOG_INFO, line);
    run->state = KB_DRAINING;
    knode_shutdown(run->node);
    /* No more connections: the servers are freed before the loop's last turns. */
    posix_env_listeners_close(run->penv);
}

static bool kb_drained(void *ctx)
{
    struct kb_run *run = ctx;
    return run->state == KB_DRAINING && knode_drained(run->node);
}

static bool kb_flushed(void *ctx)
{
    struct kb_run *run = ctx;
    return posix_env_conn_count(run->penv) == 0;
}

/* Runs until a signal, then shuts down cleanly. Returns an exit code. */
static int kb_serve(struct kb_run *run)
{
    char line[128];
    posix_loop_run_until(run->loop, UINT64_MAX, kb_drained, run);
    if (run->state != KB_DRAINING)
        return KBROKER_EXIT_FAILED;
    uint64_t deadline = posix_loop_mono_ns() + (uint64_t)KBROKER_DRAIN_MS_MAX * 1000000u;
    posix_loop_run_until(run->loop, deadline, kb_drained, run);
    enum ks_err err = knode_close(run->node);
    run->node = NULL;
    deadline = posix_loop_mono_ns() + (uint64_t)KBROKER_FLUSH_MS_MAX * 1000000u;
    posix_loop_run_until(run->loop, deadline, kb_flushed, run);
    if (err != KS_OK) {
        snprintf(line, sizeof(line), "[KafkaRaftServer nodeId=%d] shutdown failed: %s",
                 run->node_id, ks_err_name(err));
        kb_log(&run->env.base, ENV_LOG_ERROR, line);
        return KBROKER_EXIT_FAILED;
    }
    snprintf(line, sizeof(line), "[KafkaRaftServer nodeId=%d] shut down completed", run->node_id);
    kb_log(&run->env.base, ENV_LOG_INFO, line);
    return KBROKER_EXIT_OK;
}

static int kb_start(struct kb_run *run, struct knode_config *config, const char *data_dir,
                    const char *bind_address, bool verbose)
{
    char name[32], error[KBROKER_ERROR_BYTES_MAX], line[KBROKER_ERROR_BYTES_MAX + 64];
    snprintf(name, sizeof(name), "kbroker-%d", config->node_id);
    struct posix_env_options options = {.node_name = name,
                                        .bind_address = bind_address,
                                        .log_file = stdout,
                                        .log_debug = verbose,
                                        .trace_quiet = !verbose};
    run->loop = posix_loop_create();
    if (run->loop == NULL ||
        posix_env_create(run->loop, data_dir, kb_seed(), &options, &run->penv) != KS_OK) {
        fprintf(stderr, "kbroker: cannot set up the environment in %s\n", data_dir);
        return KBROKER_EXIT_FAILED;
    }
    run->env.inner = posix_env_base(run->penv);
    run->env.base = (struct env){&kb_env_ops, run->env.inner->node_name, 0};
    run->env.out = stdout;
    run->env.verbose = verbose;
    /* A shell starts background jobs with SIGINT ignored; an ignored signal never
     * reaches a signalfd, so take both back to their defaults first. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (posix_loop_signals_watch(run->loop, kb_on_signal, run) != KS_OK) {
        fprintf(stderr, "kbroker: cannot watch SIGTERM and SIGINT\n");
        return KBROKER_EXIT_FAILED;
    }
    run->node_id = config->node_id;
    config->listen_hook = kb_listen_hook;
    config->listen_hook_ctx = run;
    snprintf(line, sizeof(line), "[KafkaRaftServer nodeId=%d] starting", config->node_id);
    kb_log(&run->env.base, ENV_LOG_INFO, line);
    if (knode_start(&run->env.base, config, &run->node, error, sizeof(error)) != KS_OK) {
        snprintf(line, sizeof(line), "[KafkaRaftServer nodeId=%d] Fatal error during startup: %s",
                 config->node_id, error);
        kb_log(&run->env.base, ENV_LOG_ERROR, line);
        return KBROKER_EXIT_FAILED;
    }
    snprintf(line, sizeof(line), "[KafkaRaftServer nodeId=%d] Kafka Server started",
             config->node_id);
    kb_log(&run->env.base, ENV_LOG_INFO, line);
    return KBROKER_EXIT_OK;
}

static int kb_main(const struct kb_args *args)
{
    struct props *props = ks_alloc(sizeof(*props));
    struct knode_config *config = ks_alloc(sizeof(*config));
    struct kb_run *run = ks_alloc(sizeof(*run));
    char error[KBROKER_ERROR_BYTES_MAX], data_dir[KNODE_PATH_BYTES_MAX], bind[KNODE_HOST_BYTES_MAX];
    props_init(props);
    knode_config_default(config);
    int rc = kb_props_load(args, props);
    if (rc == KBROKER_EXIT_OK &&
        knode_config_from_props(config, props, error, sizeof(error)) != KS_OK) {
        fprintf(stderr, "kbroker: %s\n", error);
        rc = KBROKER_EXIT_USAGE;
    }
    if (rc == KBROKER_EXIT_OK)
        rc = kb_bind_address(config, bind, sizeof(bind));
    if (rc == KBROKER_EXIT_OK)
        rc = kb_data_dir(config, data_dir, sizeof(data_dir));
    config->props = props;
    if (rc == KBROKER_EXIT_OK)
        rc = kb_start(run, config, data_dir, bind, args->verbose);
    if (rc == KBROKER_EXIT_OK)
        rc = kb_serve(run);
    knode_free(run->node);
    posix_env_destroy(run->penv);
    posix_loop_destroy(run->loop);
    free(run);
    free(config);
    props_free(props);
    free(props);
    return rc;
}

int main(int argc, char **argv)
{
    struct kb_args args;
    int rc = kb_args_parse(argc, argv, &args);
    if (rc != KBROKER_EXIT_OK)
        return rc;
    if (args.help) {
        fputs(kbroker_usage, stdout);
        return KBROKER_EXIT_OK;
    }
    return kb_main(&args);
}
