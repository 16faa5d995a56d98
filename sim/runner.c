/*
 * runner.c: `ksim run`, see runner.h.
 *
 * One run: a world from the script's settings and the seed; the nodes added in
 * declaration order; node starts, bare lines and `at` lines scheduled up front in
 * script order (so ties at one time run in script order); each `every` line
 * reschedules itself after it fires; the invariant set observes every event; the
 * liveness checks run at the end. The only real-world inputs are the wall time
 * reported as wall_ms and the files written for --trace and --dump-disks; neither
 * reaches a decision of the run.
 */
#include "runner.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "nodes_broker.h"
#include "nodes_raft.h"
#include "scn_client.h"
#include "scn_group.h"
#include "scn_log.h"
#include "scn_world.h"

#define RUNNER_ARG_NODE (1ull << 63) /* a scheduled node start, not an action */
#define RUNNER_PATH_BYTES_MAX 4096u
#define RUNNER_COMMAND_BYTES_MAX 2048u

static const struct scn_module *const runner_modules[] = {
    &scn_world_module,
    &phase_module,
    &scn_world_fixture_module,
    &scn_log_module,
    &nodes_raft_scn_module,
    &nodes_broker_scn_module,
    &scn_client_module,
    &scn_group_module,
};

static const struct scn_lang runner_language = {
    .modules = runner_modules,
    .module_count = KS_ARRAY_COUNT(runner_modules),
};

const struct scn_lang *runner_lang(void)
{
    return &runner_language;
}

struct runner_exec {
    struct world *world;
    const struct scn_script *script;
    const struct runner_options *options;
    struct inv_set *inv;
    const struct scn_action *action;
    FILE *out;
    uint64_t seed;
    void *allocs[RUNNER_ALLOCS_MAX];
    uint32_t alloc_count;
    struct phase_settings phase;
    bool liveness_began;
    struct fig_run *figures;
    struct smcov *sm_coverage;
};

/* ---- Services for verbs ----------------------------------------------------------- */

struct world *runner_exec_world(struct runner_exec *x)
{
    KS_ASSERT(x->world != NULL);
    return x->world;
}

const struct scn_script *runner_exec_script(const struct runner_exec *x)
{
    return x->script;
}

const struct scn_action *runner_exec_action(const struct runner_exec *x)
{
    KS_ASSERT(x->action != NULL); /* only inside an exec function */
    return x->action;
}

void *runner_exec_alloc(struct runner_exec *x, size_t size_bytes)
{
    KS_ASSERT(x->alloc_count < RUNNER_ALLOCS_MAX);
    void *block = ks_alloc(size_bytes);
    x->allocs[x->alloc_count++] = block;
    return block;
}

void runner_exec_disturbed(struct runner_exec *x)
{
    KS_ASSERT(x->inv != NULL);
    inv_set_disturbed(x->inv);
}

bool runner_exec_liveness_began(const struct runner_exec *x)
{
    return x->liveness_began;
}

static void runner_on_violation(void *ctx, const struct inv_violation *v);

/* ---- Phases, figures, coverage (issue 8) ------------------------------------------- */

static void runner_on_trace(void *ctx, struct world *world, int node, const char *kind,
                            const char *text)
{
    struct runner_exec *x = ctx;
    KS_ASSERT(x->world == world);
    if (strcmp(kind, SM_TRACE_KIND) == 0)
        smcov_record(x->sm_coverage, text, strlen(text));
    fig_on_trace(x->figures, world, node, kind, text);
}

static void runner_observe(void *ctx, struct world *world)
{
    struct runner_exec *x = ctx;
    fig_observe(x->figures, world);
}

static void runner_phase_begin(void *ctx, uint64_t arg)
{
    struct runner_exec *x = ctx;
    KS_ASSERT(!x->liveness_began);
    KS_ASSERT(world_now_ns(x->world) == x->phase.from_ns);
    x->liveness_began = true;
    if (phase_recover(x->world, &x->phase))
        inv_set_disturbed(x->inv);
    inv_set_liveness_begin(x->inv, x->phase.budget_ns);
}

static void runner_phase_deadline(void *ctx, uint64_t arg)
{
    struct runner_exec *x = ctx;
    KS_ASSERT(world_now_ns(x->world) == x->phase.deadline_ns);
    inv_set_liveness_deadline(x->inv);
}

/* The expected invariants, plus the world's own liveness condition when there is room. */
static struct inv_set *runner_inv_create(struct runner_exec *x)
{
    const struct scn_script *script = x->script;
    const struct inv_def *defs[SCN_EXPECTS_MAX];
    uint32_t count = 0;
    for (uint32_t i = 0; i < script->expect_count; i++)
        defs[count++] = script->expects[i].def;
    if (count < SCN_EXPECTS_MAX)
        defs[count++] = &inv_world_nodes_running;
    phase_settings_get(script, defs, count, &x->phase);
    return inv_set_create(x->world, defs, count, runner_on_violation, x);
}

static void runner_phase_schedule(struct runner_exec *x)
{
    KS_ASSERT(x->phase.from_ns <= x->phase.deadline_ns);
    KS_ASSERT(x->phase.deadline_ns <= x->script->run_ns);
    world_at(x->world, x->phase.from_ns, runner_phase_begin, x, 0);
    world_at(x->world, x->phase.deadline_ns, runner_phase_deadline, x, 0);
}

/* ---- Printing -------------------------------------------------------------------------- */

uint64_t runner_seed(const struct scn_script *script, const struct runner_options *options)
{
    if (options->seed_set)
        return options->seed;
    return script->world.seed_set ? script->world.seed : 1;
}

/* The command that replays this run. */
static void replay_command(const struct runner_options *o, uint64_t seed, char *buf,
                           size_t buf_bytes)
{
    KS_ASSERT(o->bug_count <= RUNNER_BUGS_MAX);
    int used = snprintf(buf, buf_bytes, "ksim run %s --seed %" PRIu64, o->scenario_path, seed);
    for (uint32_t i = 0; i < o->bug_count && used > 0 && (size_t)used < buf_bytes; i++)
        used += snprintf(buf + used, buf_bytes - (size_t)used, " --bug %s", o->bug_names[i]);
}

static void time_format(uint64_t ns, char *buf, size_t buf_bytes)
{
    snprintf(buf, buf_bytes, "%" PRIu64 ".%06" PRIu64 "s", ns / 1000000000u,
             ns % 1000000000u / 1000u);
}

static void runner_on_violation(void *ctx, const struct inv_violation *v)
{
    struct runner_exec *x = ctx;
    if (x->out == NULL)
        return;
    char time[32], command[RUNNER_COMMAND_BYTES_MAX];
    time_format(v->time_ns, time, sizeof(time));
    replay_command(x->options, x->seed, command, sizeof(command));
    fprintf(x->out, "VIOLATION seed=%" PRIu64 " invariant=%s time=%s node=%s: %s\n", x->seed,
            v->invariant, time, v->node[0] != '\0' ? v->node : "-", v->message);
    fprintf(x->out, "  replay: %s\n", command);
    fflush(x->out);
}

static void runner_assert_context(void *ctx)
{
    struct runner_exec *x = ctx;
    char time[32], command[RUNNER_COMMAND_BYTES_MAX];
    time_format(x->world != NULL ? world_now_ns(x->world) : 0, time, sizeof(time));
    replay_command(x->options, x->seed, command, sizeof(command));
    fprintf(stderr, "  seed %" PRIu64 ", simulated time %s%s%s\n  replay: %s\n", x->seed, time,
            x->action != NULL ? ", running: " : "", x->action != NULL ? x->action->text : "",
            command);
}

/* ---- Scheduling the timeline ---------------------------------------------------------- */

static void runner_fire(void *ctx, uint64_t arg);

static void runner_at(struct runner_exec *x, uint64_t at_ns, uint64_t arg)
{
    world_at(x->world, at_ns, runner_fire, x, arg);
}

static void runner_fire(void *ctx, uint64_t arg)
{
    struct runner_exec *x = ctx;
    const struct scn_script *s = x->script;
    if (arg & RUNNER_ARG_NODE) {
        uint32_t node = (uint32_t)(arg & ~RUNNER_ARG_NODE);
        KS_ASSERT(node < s->node_count);
        if (world_node_start(x->world, (int)node) != KS_OK)
            world_tracef(x->world, (int)node, "scn.skip", "start: %s",
                         world_node_state_name(world_node_state_of(x->world, (int)node)));
        return;
    }
    KS_ASSERT(arg < s->action_count);
    const struct scn_action *a = &s->actions[arg];
    world_tracef(x->world, -1, "scn.action", "line %" PRIu32 ": %s", a->pos.line, a->text);
    x->action = a;
    a->verb->exec(x, a->args);
    x->action = NULL;
    if (a->when != SCN_WHEN_EVERY)
        return;
    uint64_t next = world_now_ns(x->world) + a->every_ns;
    if (next < a->until_ns)
        runner_at(x, next, arg);
}

static void runner_schedule_action(struct runner_exec *x, uint32_t index)
{
    const struct scn_action *a = &x->script->actions[index];
    uint64_t at_ns = a->when == SCN_WHEN_BARE ? 0 : a->at_ns;
    KS_ASSERT(at_ns <= x->script->run_ns);
    runner_at(x, at_ns, index);
}

/* Node starts and actions in script order (line order), so that ties run in order. */
static void runner_schedule(struct runner_exec *x)
{
    const struct scn_script *s = x->script;
    uint32_t node = 0, action = 0;
    for (uint32_t i = 0; i < s->node_count + s->action_count; i++) {
        bool node_first =
            node < s->node_count &&
            (action == s->action_count || s->nodes[node]->pos.line < s->actions[action].pos.line);
        if (!node_first) {
            runner_schedule_action(x, action++);
            continue;
        }
        if (!s->nodes[node]->start_never)
            runner_at(x, s->nodes[node]->start_ns, RUNNER_ARG_NODE | node);
        node++;
    }
    KS_ASSERT(node == s->node_count);
    KS_ASSERT(action == s->action_count);
}

/* ---- One run ---------------------------------------------------------------------------- */

static struct world *runner_world_create(const struct scn_script *s, uint64_t seed,
                                         env_bug_mask bugs)
{
    struct world_config config;
    world_config_default(&config, seed);
    config.bugs = bugs;
    if (s->world.latency_set) {
        config.link_latency_ns_min = s->world.latency_ns_min;
        config.link_latency_ns_max = s->world.latency_ns_max;
    }
    if (s->world.connect_timeout_set)
        config.connect_timeout_ns = s->world.connect_timeout_ns;
    if (s->world.buggify_set)
        config.buggify_ppm = s->world.buggify_ppm;
    if (s->world.epoch_set)
        config.wall_epoch_ms = s->world.wall_epoch_ms;
    return world_create(&config);
}

static enum ks_err runner_nodes_add(struct runner_exec *x, FILE *out)
{
    const struct scn_script *s = x->script;
    for (uint32_t i = 0; i < s->node_count; i++) {
        const struct scn_node *n = s->nodes[i];
        int id = world_node_add(x->world, n->name, n->kind->type, &n->config);
        if (id < 0) {
            if (out != NULL)
                fprintf(out, "ksim: cannot add node %s to the world\n", n->name);
            return KS_ERR_INVALID;
        }
        KS_ASSERT((uint32_t)id == i); /* verbs' node ids are declaration indexes */
    }
    return KS_OK;
}

static uint64_t wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void runner_result_fill(struct runner_exec *x, uint64_t wall_start_ms,
                               struct runner_result *r)
{
    r->seed = x->seed;
    r->trace_hash = world_trace_hash(x->world);
    r->sim_ns = world_now_ns(x->world);
    r->events = world_events_count(x->world);
    r->wall_ms = wall_now_ms() - wall_start_ms;
    const struct inv_violation *v = inv_set_violations(x->inv, &r->violation_count);
    KS_ASSERT(r->violation_count <= INV_VIOLATIONS_MAX);
    memcpy(r->violations, v, r->violation_count * sizeof(v[0]));
    r->violations_dropped = inv_set_violations_dropped(x->inv);
    r->phase = x->phase;
    r->liveness_count = inv_set_liveness_results(x->inv, r->liveness);
    fig_summarize(x->figures, &r->figures);
    r->sm_coverage = *x->sm_coverage;
}

static enum ks_err runner_dump_disks(struct world *world, const char *dir, FILE *out);

enum ks_err runner_run_once(const struct scn_script *script, const struct runner_options *options,
                            FILE *trace, FILE *out, struct runner_result *result)
{
    uint64_t wall_start_ms = wall_now_ms();
    memset(result, 0, sizeof(*result));
    struct runner_exec *x = ks_alloc(sizeof(*x));
    x->script = script;
    x->options = options;
    x->out = out;
    x->seed = runner_seed(script, options);
    x->world = runner_world_create(script, x->seed, options->bugs);
    ks_assert_context_set(runner_assert_context, x);
    world_trace_file_set(x->world, trace);
    x->figures = fig_run_create();
    x->sm_coverage = ks_alloc(sizeof(*x->sm_coverage));
    smcov_reset(x->sm_coverage);
    world_trace_listener_set(x->world, runner_on_trace, x);
    x->inv = runner_inv_create(x);
    world_observer_add(x->world, runner_observe, x);
    enum ks_err err = runner_nodes_add(x, out);
    if (err == KS_OK) {
        runner_schedule(x);
        runner_phase_schedule(x);
        bool early = options->stop_ns != 0 && options->stop_ns < script->run_ns;
        uint64_t end_ns = early ? options->stop_ns : script->run_ns;
        uint64_t events = world_run_until(x->world, end_ns, RUNNER_EVENTS_MAX);
        result->budget_exhausted = events == RUNNER_EVENTS_MAX;
        if (!world_stopped(x->world) && !result->budget_exhausted && !early) {
            inv_set_liveness_deadline(x->inv); /* when the deadline is the run's end */
            inv_set_finish(x->inv);
        }
        runner_result_fill(x, wall_start_ms, result);
        if (options->inspect != NULL)
            options->inspect(options->inspect_ctx, x->world);
        if (options->dump_disks_dir != NULL)
            err = runner_dump_disks(x->world, options->dump_disks_dir, out);
    }
    world_trace_file_set(x->world, NULL);
    world_trace_listener_set(x->world, NULL, NULL);
    ks_assert_context_set(NULL, NULL);
    world_destroy(x->world);
    inv_set_destroy(x->inv);
    fig_run_destroy(x->figures);
    free(x->sm_coverage);
    KS_ASSERT(x->alloc_count <= RUNNER_ALLOCS_MAX);
    for (uint32_t i = 0; i < x->alloc_count; i++)
        free(x->allocs[i]);
    free(x);
    return err;
}

/* ---- --dump-disks ------------------------------------------------------------------------ */

struct dump_ctx {
    char base[RUNNER_PATH_BYTES_MAX];
    bool failed;
};

static bool dump_mkdir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

/* mkdir -p, for the base directory of a node. */
static bool dump_mkdirs(const char *path)
{
    char copy[RUNNER_PATH_BYTES_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    for (size_t i = 1; copy[i] != '\0' && i < sizeof(copy); i++) {
        if (copy[i] != '/')
            continue;
        copy[i] = '\0';
        if (!dump_mkdir(copy))
            return false;
        copy[i] = '/';
    }
    return dump_mkdir(copy);
}

static void dump_entry(void *ctx, const char *path, bool is_dir, const uint8_t *bytes,
                       uint64_t size_bytes)
{
    struct dump_ctx *d = ctx;
    char full[RUNNER_PATH_BYTES_MAX];
    int n = snprintf(full, sizeof(full), "%s/%s", d->base, path);
    if (n < 0 || (size_t)n >= sizeof(full)) {
        d->failed = true;
        return;
    }
    if (is_dir) {
        d->failed |= path[0] != '\0' && !dump_mkdir(full);
        return;
    }
    FILE *file = fopen(full, "wb");
    if (file == NULL) {
        d->failed = true;
        return;
    }
    d->failed |= size_bytes > 0 && fwrite(bytes, 1, size_bytes, file) != size_bytes;
    d->failed |= fclose(file) != 0;
}

static enum ks_err runner_dump_disks(struct world *world, const char *dir, FILE *out)
{
    struct dump_ctx *d = ks_alloc(sizeof(*d));
    for (uint32_t i = 0; i < world_node_count(world) && !d->failed; i++) {
        snprintf(d->base, sizeof(d->base), "%s/%s", dir, world_node_name(world, (int)i));
        d->failed = !dump_mkdirs(d->base);
        if (!d->failed)
            simdisk_walk_durable(world_node_disk(world, (int)i), dump_entry, d);
    }
    bool failed = d->failed;
    if (failed && out != NULL)
        fprintf(out, "ksim: cannot write the disks under %s: %s\n", dir, strerror(errno));
    free(d);
    return failed ? KS_ERR_IO : KS_OK;
}

/* ---- ksim run ------------------------------------------------------------------------------ */

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (size_t i = 0; s[i] != '\0' && i < SCN_LINE_BYTES_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void json_violations(FILE *out, const struct runner_result *r)
{
    fputs("[", out);
    for (uint32_t i = 0; i < r->violation_count; i++) {
        const struct inv_violation *v = &r->violations[i];
        fputs(i == 0 ? "{\"invariant\":" : ",{\"invariant\":", out);
        json_string(out, v->invariant);
        fprintf(out, ",\"time_ns\":%" PRIu64 ",\"time_ms\":%" PRIu64 ",\"node\":", v->time_ns,
                v->time_ns / 1000000u);
        json_string(out, v->node);
        fputs(",\"message\":", out);
        json_string(out, v->message);
        fputs("}", out);
    }
    fputs("]", out);
}

/* "phases", "liveness_figures" and "sm_coverage" (issue 8), each after a comma. */
static void runner_json_issue8(FILE *out, const struct runner_result *r)
{
    fprintf(out,
            ",\"phases\":{\"liveness_from_ms\":%" PRIu64 ",\"budget_ms\":%" PRIu64
            ",\"deadline_ms\":%" PRIu64 ",\"conditions\":[",
            r->phase.from_ns / 1000000u, r->phase.budget_ns / 1000000u,
            r->phase.deadline_ns / 1000000u);
    KS_ASSERT(r->liveness_count <= INV_CHECKERS_MAX);
    for (uint32_t i = 0; i < r->liveness_count; i++) {
        const struct inv_liveness_result *l = &r->liveness[i];
        fprintf(out, "%s{\"name\":", i == 0 ? "" : ",");
        json_string(out, l->name);
        fprintf(out, ",\"met\":%s,\"recovered_ms\":", l->met ? "true" : "false");
        if (l->met)
            fprintf(out, "%" PRIu64 "}", l->recovered_ns / 1000000u);
        else
            fputs("null}", out);
    }
    fputs("]},", out);
    fig_json(out, &r->figures);
    fputc(',', out);
    smcov_json(out, &r->sm_coverage);
}

/* The last line: one JSON object. second is NULL without --check-determinism. */
static void json_report(FILE *out, const struct runner_options *o, const struct runner_result *r,
                        const struct runner_result *second, int exit_code)
{
    fputs("{\"scenario\":", out);
    json_string(out, o->scenario_path);
    fprintf(out, ",\"seed\":%" PRIu64 ",\"bugs\":[", r->seed);
    for (uint32_t i = 0; i < o->bug_count; i++) {
        fputs(i == 0 ? "" : ",", out);
        json_string(out, o->bug_names[i]);
    }
    fprintf(out,
            "],\"trace_hash\":\"%016" PRIx64 "\",\"sim_ms\":%" PRIu64 ",\"events\":%" PRIu64
            ",\"wall_ms\":%" PRIu64 ",\"violations\":",
            r->trace_hash, r->sim_ns / 1000000u, r->events, r->wall_ms);
    json_violations(out, r);
    fprintf(out, ",\"violations_dropped\":%" PRIu32 ",\"budget_exhausted\":%s",
            r->violations_dropped, r->budget_exhausted ? "true" : "false");
    runner_json_issue8(out, r);
    if (second != NULL)
        fprintf(out,
                ",\"determinism\":{\"trace_hash_second\":\"%016" PRIx64
                "\",\"events_second\":%" PRIu64 ",\"same\":%s}",
                second->trace_hash, second->events,
                second->trace_hash == r->trace_hash && second->events == r->events ? "true"
                                                                                   : "false");
    fprintf(out, ",\"exit\":%d}\n", exit_code);
}

static int runner_exit_code(const struct runner_result *r, const struct runner_result *second)
{
    bool same =
        second == NULL || (second->trace_hash == r->trace_hash && second->events == r->events);
    if (r->violation_count > 0 || r->budget_exhausted || !same)
        return RUNNER_EXIT_VIOLATION;
    return RUNNER_EXIT_OK;
}

static void runner_summary(FILE *out, const struct runner_result *r,
                           const struct runner_result *second)
{
    fprintf(out,
            "ksim: %" PRIu64 " events, simulated %" PRIu64 "ms in %" PRIu64
            "ms, trace hash %016" PRIx64 ", %" PRIu32 " violation(s)\n",
            r->events, r->sim_ns / 1000000u, r->wall_ms, r->trace_hash,
            r->violation_count + r->violations_dropped);
    if (r->budget_exhausted)
        fprintf(out, "ksim: the event budget (%llu) ran out before the end of the run\n",
                (unsigned long long)RUNNER_EVENTS_MAX);
    if (second == NULL)
        return;
    if (second->trace_hash == r->trace_hash && second->events == r->events)
        fprintf(out, "ksim: deterministic: the second run gave the same trace hash\n");
    else
        fprintf(out,
                "ksim: NOT DETERMINISTIC: trace hash %016" PRIx64 " (%" PRIu64
                " events) then %016" PRIx64 " (%" PRIu64 " events)\n",
                r->trace_hash, r->events, second->trace_hash, second->events);
}

/* Both runs (the second only with --check-determinism); KS_OK or a setup error. */
static enum ks_err runner_runs(const struct scn_script *script, const struct runner_options *o,
                               FILE *out, FILE *err, struct runner_result *first,
                               struct runner_result *second)
{
    FILE *trace = NULL;
    if (o->trace_path != NULL && (trace = fopen(o->trace_path, "w")) == NULL) {
        fprintf(err, "ksim: cannot write the trace %s: %s\n", o->trace_path, strerror(errno));
        return KS_ERR_IO;
    }
    enum ks_err e = runner_run_once(script, o, trace, o->quiet ? NULL : out, first);
    if (trace != NULL && fclose(trace) != 0 && e == KS_OK)
        e = KS_ERR_IO;
    if (e == KS_OK && o->check_determinism) {
        struct runner_options quiet_options = *o;
        quiet_options.dump_disks_dir = NULL;
        e = runner_run_once(script, &quiet_options, NULL, NULL, second);
    }
    return e;
}

int runner_main(const struct runner_options *o, FILE *out, FILE *err)
{
    char message[SCN_ERROR_BYTES_MAX];
    enum ks_err lang_err = scn_lang_check(runner_lang(), message, sizeof(message));
    KS_ASSERT(lang_err == KS_OK); /* the tables are ours: a clash is a build bug */
    struct scn_script *script = NULL;
    struct scn_error error;
    if (scn_parse_file(runner_lang(), o->scenario_path, &script, &error) != KS_OK) {
        scn_error_print(&error, err);
        return RUNNER_EXIT_USAGE;
    }
    if (!o->quiet)
        fprintf(out, "ksim: seed %" PRIu64 " scenario %s\n", runner_seed(script, o),
                o->scenario_path);
    struct runner_result *results = ks_alloc(2 * sizeof(*results));
    enum ks_err e = runner_runs(script, o, out, err, &results[0], &results[1]);
    int code = RUNNER_EXIT_USAGE;
    if (e == KS_OK) {
        const struct runner_result *second = o->check_determinism ? &results[1] : NULL;
        code = runner_exit_code(&results[0], second);
        if (!o->quiet || (second != NULL && code != RUNNER_EXIT_OK))
            runner_summary(out, &results[0], second);
        json_report(out, o, &results[0], second, code);
    }
    fflush(out);
    free(results);
    scn_script_free(script);
    return code;
}
