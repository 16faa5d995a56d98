/*
 * replay_cmd.c: `ksim replay FILE [--until TIME] [--narrate] [--trace PATH]
 * [--report DIR]`, see replay.h for the file and the exit codes.
 *
 * --until stops the run at a simulated time and prints each node's state: its
 * lifecycle state, incarnation, wall clock and the line its node type's describe()
 * writes (brokers will say leaders, ISRs, high watermarks, group generations there).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explain.h"
#include "narrate.h"
#include "replay.h"
#include "report.h"
#include "tracelog.h"

#define REPLAY_DESCRIBE_BYTES_MAX 512u
#define REPLAY_COMMAND_BYTES_MAX 1024u

struct replay_args {
    const char *path;
    bool until_set;
    uint64_t until_ns;
    bool narrate;
    bool explain; /* --explain: the violation's causal slice (explain.h) */
    const char *trace_path;
    const char *report_dir;
};

static int replay_usage(FILE *err, const char *problem)
{
    fprintf(err,
            "ksim replay: %s\nusage: ksim replay FILE [--until TIME] [--narrate] [--explain] "
            "[--trace PATH] [--report DIR]\n",
            problem);
    return RUNNER_EXIT_USAGE;
}

/* A duration in the scenario language's units ("12s", "1500ms"). */
static bool replay_duration_parse(const char *text, uint64_t *ns_out)
{
    static const struct {
        const char *suffix;
        uint64_t ns;
    } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000}};
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return false;
    unsigned long long value = strtoull(text, &end, 10);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(units); i++) {
        if (strcmp(end, units[i].suffix) == 0 && value <= UINT64_MAX / units[i].ns) {
            *ns_out = value * units[i].ns;
            return *ns_out > 0;
        }
    }
    return false;
}

static int replay_args_parse(int argc, char **argv, struct replay_args *a, FILE *err)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--narrate") == 0) {
            a->narrate = true;
        } else if (strcmp(arg, "--explain") == 0) {
            a->explain = true;
        } else if (strcmp(arg, "--until") == 0 && has_value) {
            a->until_set = true;
            if (!replay_duration_parse(argv[++i], &a->until_ns))
                return replay_usage(err, "--until takes a time such as 12s or 1500ms");
        } else if (strcmp(arg, "--trace") == 0 && has_value) {
            a->trace_path = argv[++i];
        } else if (strcmp(arg, "--report") == 0 && has_value) {
            a->report_dir = argv[++i];
        } else if (strncmp(arg, "--", 2) == 0) {
            return replay_usage(err, "unknown option or missing value");
        } else if (a->path != NULL) {
            return replay_usage(err, "replay takes one file");
        } else {
            a->path = arg;
        }
    }
    return a->path == NULL ? replay_usage(err, "replay needs a file") : RUNNER_EXIT_OK;
}

/* ---- --until: the cluster's state ----------------------------------------------------- */

struct replay_inspect {
    FILE *out;
};

static void replay_wall_format(int64_t wall_ms, char *buf, size_t buf_bytes)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL) {
        snprintf(buf, buf_bytes, "%" PRId64 "ms", wall_ms);
        return;
    }
    snprintf(buf, buf_bytes, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(wall_ms % 1000 + 1000) % 1000);
}

static void replay_print_state(void *ctx, struct world *world)
{
    struct replay_inspect *ri = ctx;
    char t[32], wall[48], describe[REPLAY_DESCRIBE_BYTES_MAX];
    narrate_time(world_now_ns(world), t, sizeof(t));
    fprintf(ri->out, "state at %s\n%-12s %-10s %-8s %4s  %-24s  %s\n", t, "node", "type", "state",
            "inc", "wall clock", "describe");
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        const struct world_node_type *type = world_node_type_of(world, (int)i);
        void *impl = world_node_impl(world, (int)i);
        describe[0] = '\0';
        if (impl != NULL && type->describe != NULL)
            type->describe(impl, describe, sizeof(describe));
        replay_wall_format(world_clock_wall_ms(world, (int)i), wall, sizeof(wall));
        fprintf(ri->out, "%-12s %-10s %-8s %4" PRIu32 "  %-24s  %s\n",
                world_node_name(world, (int)i), type->name,
                world_node_state_name(world_node_state_of(world, (int)i)),
                world_node_incarnation(world, (int)i), wall, describe);
    }
}

/* ---- The run ---------------------------------------------------------------------------- */

static int replay_verdict(const struct replay_file *f, const struct replay_args *a,
                          const struct runner_result *r, FILE *out)
{
    int code =
        r->violation_count > 0 || r->budget_exhausted ? RUNNER_EXIT_VIOLATION : RUNNER_EXIT_OK;
    if (a->until_set && a->until_ns < f->sim_ns) {
        fprintf(out, "ksim replay: stopped at the requested time: trace hash not compared\n");
        return code;
    }
    const char *expected = f->violation.invariant;
    const char *got = r->violation_count > 0 ? r->violations[0].invariant : "";
    if (!f->hash_known && f->outcome != REPLAY_OUTCOME_CRASH) {
        fprintf(out, "ksim replay: a scenario file: no saved trace hash to compare\n");
        return code;
    }
    if (!f->hash_known) {
        fprintf(out, "ksim replay: the saved run crashed; this run did not (outcome %s)\n",
                code == RUNNER_EXIT_OK ? "pass" : "violation");
        return REPLAY_EXIT_MISMATCH;
    }
    if (r->trace_hash != f->trace_hash || strcmp(expected, got) != 0) {
        fprintf(out,
                "ksim replay: MISMATCH: trace hash %016" PRIx64 " (expected %016" PRIx64
                "), first violation '%s' (expected '%s')\n",
                r->trace_hash, f->trace_hash, got, expected);
        return REPLAY_EXIT_MISMATCH;
    }
    fprintf(out, "ksim replay: trace hash %016" PRIx64 " matched: %s reproduced\n", r->trace_hash,
            code == RUNNER_EXIT_OK ? "the passing run" : "the failure");
    return code;
}

static void replay_json(FILE *out, const struct replay_file *f, const struct runner_result *r,
                        int code)
{
    fprintf(out,
            "{\"replay\":true,\"seed\":%" PRIu64 ",\"trace_hash\":\"%016" PRIx64
            "\",\"trace_hash_expected\":\"%016" PRIx64 "\",\"sim_ms\":%" PRIu64
            ",\"events\":%" PRIu64 ",\"wall_ms\":%" PRIu64 ",\"violations\":%" PRIu32
            ",\"invariant\":\"%s\",\"exit\":%d}\n",
            r->seed, r->trace_hash, f->trace_hash, (uint64_t)(r->sim_ns / WORLD_NS_PER_MS),
            r->events, r->wall_ms, r->violation_count,
            r->violation_count > 0 ? r->violations[0].invariant : "", code);
}

static enum ks_err replay_outputs(const struct replay_args *a, const struct replay_file *f,
                                  const struct scn_script *script, const struct runner_options *o,
                                  const struct tracelog *log, const struct runner_result *r,
                                  FILE *out)
{
    enum ks_err err = KS_OK;
    if (a->narrate)
        narrate_log(log, r, out);
    if (a->explain)
        explain_violation(log, r, out);
    if (a->trace_path != NULL) {
        size_t len = 0;
        const char *text = tracelog_text(log, &len);
        FILE *file = fopen(a->trace_path, "w");
        if (file == NULL || fwrite(text, 1, len, file) != len)
            err = KS_ERR_IO;
        if (file != NULL && fclose(file) != 0)
            err = KS_ERR_IO;
    }
    if (a->report_dir != NULL && err == KS_OK) {
        char command[REPLAY_COMMAND_BYTES_MAX], path[4096];
        snprintf(command, sizeof(command), "ksim replay %s", a->path);
        snprintf(path, sizeof(path), "%s/report.html", a->report_dir);
        err =
            report_run(a->report_dir, f->name, f->scenario, script, o, command, path, sizeof(path));
        if (err == KS_OK)
            fprintf(out, "ksim replay: report written to %s\n", path);
    }
    return err;
}

static int replay_run(const struct replay_args *a, const struct replay_file *f,
                      const struct scn_script *script, FILE *out, FILE *err_out)
{
    struct runner_options o;
    memset(&o, 0, sizeof(o));
    o.scenario_path = f->name;
    o.seed_set = true;
    o.seed = f->seed;
    o.stop_ns = a->until_set ? a->until_ns : 0;
    struct replay_inspect ri = {.out = out};
    if (a->until_set) {
        o.inspect = replay_print_state;
        o.inspect_ctx = &ri;
    }
    if (!replay_options_bugs(f, &o)) {
        fprintf(err_out, "ksim replay: %s: names a bug switch this ksim does not know\n", a->path);
        return RUNNER_EXIT_USAGE;
    }
    fprintf(out, "ksim replay: %s: seed %" PRIu64 ", scenario %s, saved outcome %s\n", a->path,
            f->seed, f->name, replay_outcome_name(f->outcome));
    struct runner_result *r = ks_alloc(sizeof(*r));
    struct tracelog *log = NULL;
    enum ks_err e = tracelog_capture(script, &o, r, &log);
    int code = RUNNER_EXIT_USAGE;
    if (e == KS_OK) {
        o.inspect = NULL;
        o.stop_ns = 0;
        e = replay_outputs(a, f, script, &o, log, r, out);
    }
    if (e == KS_OK) {
        code = replay_verdict(f, a, r, out);
        replay_json(out, f, r, code);
    } else {
        fprintf(err_out, "ksim replay: the run could not be set up or written (%s)\n",
                ks_err_name(e));
    }
    tracelog_free(log);
    free(r);
    return code;
}

/* A `.scn` file replays as a scenario with its own seed and no saved hash, so that
 * lessons can be narrated and stepped through too. */
static bool replay_load_scenario(const char *path, struct replay_file *f)
{
    size_t len = strlen(path), text_len = 0;
    if (len < 4 || strcmp(path + len - 4, ".scn") != 0)
        return false;
    memset(f, 0, sizeof(*f));
    if (replay_read_all(path, SCN_FILE_BYTES_MAX, &f->scenario, &text_len) != KS_OK)
        return false;
    f->scenario_bytes = text_len;
    snprintf(f->name, sizeof(f->name), "%s", path);
    struct scn_script *script = NULL;
    struct scn_error error;
    if (scn_parse(runner_lang(), path, f->scenario, &script, &error) == KS_OK) {
        struct runner_options none;
        memset(&none, 0, sizeof(none));
        f->seed = runner_seed(script, &none);
        f->sim_ns = script->run_ns;
    }
    scn_script_free(script);
    return true;
}

int replay_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct replay_args a;
    int code = replay_args_parse(argc, argv, &a, err);
    if (code != RUNNER_EXIT_OK)
        return code;
    struct replay_file f;
    char message[REPLAY_ERROR_BYTES_MAX];
    if (!replay_load_scenario(a.path, &f) &&
        replay_load(a.path, &f, message, sizeof(message)) != KS_OK) {
        fprintf(err, "ksim replay: %s: %s\n", a.path, message);
        return RUNNER_EXIT_USAGE;
    }
    struct scn_script *script = NULL;
    struct scn_error error;
    if (scn_parse(runner_lang(), f.name, f.scenario, &script, &error) != KS_OK) {
        scn_error_print(&error, err);
        replay_file_free(&f);
        return RUNNER_EXIT_USAGE;
    }
    code = replay_run(&a, &f, script, out, err);
    scn_script_free(script);
    replay_file_free(&f);
    return code;
}
