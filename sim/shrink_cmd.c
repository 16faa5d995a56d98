/*
 * shrink_cmd.c: `ksim shrink FILE [--out PATH] [--runs N]`, the search that drives the
 * steps of shrink.c (see shrink.h). Each candidate is formatted, parsed and run with the
 * replay file's seed and bug switches; it is kept when the run still violates the
 * file's invariant. The search is greedy and bounded by --runs candidate runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "shrink.h"

#define SHRINK_PATH_BYTES_MAX 4096u
#define SHRINK_COMMENT_BYTES_MAX (2 * SHRINK_PATH_BYTES_MAX + 1024u)
#define NS_PER_S 1000000000ull

struct shrinker {
    const struct replay_file *file;
    struct runner_options options;
    const char *invariant;
    uint32_t runs;
    uint32_t runs_max;
    struct shrink_script *best;
    struct runner_result result; /* of the best */
    /* The output's header. Candidates run with it too: a `faults` schedule draws from a
     * stream named by its line, so the header must move lines the same way in every run. */
    char comment[SHRINK_COMMENT_BYTES_MAX];
};

/* Run a candidate's text; true when it breaks the invariant. */
static bool shrinker_fails(struct shrinker *sh, const char *text, struct runner_result *r)
{
    struct scn_script *script = NULL;
    struct scn_error error;
    if (scn_parse(runner_lang(), "shrink", text, &script, &error) != KS_OK)
        return false;
    sh->runs++;
    bool fails = false;
    if (runner_run_once(script, &sh->options, NULL, NULL, r) == KS_OK) {
        for (uint32_t i = 0; i < r->violation_count && !fails; i++)
            fails = strcmp(r->violations[i].invariant, sh->invariant) == 0;
    }
    scn_script_free(script);
    return fails;
}

/* Keep candidate (owned) when it still fails, else free it. */
static bool shrinker_try(struct shrinker *sh, struct shrink_script *candidate)
{
    if (sh->runs >= sh->runs_max) {
        shrink_free(candidate);
        return false;
    }
    char *text = shrink_format(candidate, sh->comment);
    struct runner_result *r = ks_alloc(sizeof(*r));
    bool fails = shrinker_fails(sh, text, r);
    free(text);
    if (fails) {
        shrink_free(sh->best);
        sh->best = candidate;
        sh->result = *r;
    } else {
        shrink_free(candidate);
    }
    free(r);
    return fails;
}

/* Try a candidate a step produced; one the step did not change is freed. */
static bool shrinker_try_if(struct shrinker *sh, struct shrink_script *c, bool applied)
{
    if (!applied) {
        shrink_free(c);
        return false;
    }
    return shrinker_try(sh, c);
}

/* ddmin over actions: drop chunks of halving size while the failure holds. */
static bool shrinker_actions(struct shrinker *sh)
{
    bool any = false;
    for (uint32_t chunk = sh->best->action_count / 2 + 1; chunk >= 1; chunk /= 2) {
        for (uint32_t first = 0; first < sh->best->action_count;) {
            struct shrink_script *c = shrink_copy(sh->best);
            uint32_t count = chunk < c->action_count - first ? chunk : c->action_count - first;
            if (shrinker_try_if(sh, c, shrink_drop_actions(c, first, count)))
                any = true; /* the next chunk moved into place */
            else
                first += count;
        }
        if (chunk == 1)
            break;
    }
    return any;
}

static bool shrinker_nodes(struct shrinker *sh)
{
    bool any = false;
    for (uint32_t i = sh->best->node_count; i > 0; i--) {
        if (i - 1 >= sh->best->node_count)
            continue;
        struct shrink_script *c = shrink_copy(sh->best);
        any |= shrinker_try_if(sh, c, shrink_drop_node(c, i - 1) && c->node_count > 0);
    }
    return any;
}

/* The run ends soon after the violation: seconds after it, or half as long. */
static bool shrinker_run(struct shrinker *sh)
{
    bool any = false;
    uint64_t at = sh->result.violation_count > 0 ? sh->result.violations[0].time_ns : 0;
    uint64_t tries[] = {(at / NS_PER_S + 1) * NS_PER_S, (at / NS_PER_S + 6) * NS_PER_S,
                        sh->best->run_ns / 2};
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(tries); i++) {
        struct shrink_script *c = shrink_copy(sh->best);
        any |= shrinker_try_if(sh, c, shrink_set_run(c, tries[i]));
    }
    return any;
}

static bool shrinker_lighten(struct shrinker *sh)
{
    bool any = false;
    for (uint32_t i = 0; i < sh->best->node_count; i++) {
        for (uint32_t step = 0; step < 4; step++) {
            struct shrink_script *c = shrink_copy(sh->best);
            bool kept = shrinker_try_if(sh, c, shrink_lighten(c, i));
            any |= kept;
            if (!kept)
                break;
        }
    }
    return any;
}

static bool shrinker_round(struct shrinker *sh)
{
    static const uint64_t units[] = {NS_PER_S, 100000000ull, 10000000ull, 1000000ull};
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(units); i++) {
        struct shrink_script *c = shrink_copy(sh->best);
        if (!shrink_round_times(c, units[i])) {
            shrink_free(c);
            return false;
        }
        if (shrinker_try(sh, c))
            return true;
    }
    return false;
}

/* Expect only the invariant that breaks (tried again each pass: an earlier step can
 * make it fail again where the first try did not). */
static bool shrinker_expect_only(struct shrinker *sh)
{
    struct shrink_script *c = shrink_copy(sh->best);
    return shrinker_try_if(sh, c, shrink_expect_only(c, sh->invariant));
}

static void shrinker_search(struct shrinker *sh, const struct tracelog *log)
{
    (void)shrinker_expect_only(sh);
    struct shrink_script *c = shrink_copy(sh->best);
    if (shrink_expand_faults(c, log))
        shrinker_try(sh, c);
    else
        shrink_free(c);
    for (uint32_t pass = 0; pass < SHRINK_PASSES_MAX && sh->runs < sh->runs_max; pass++) {
        bool any = shrinker_run(sh);
        any |= shrinker_expect_only(sh);
        any |= shrinker_actions(sh);
        any |= shrinker_nodes(sh);
        any |= shrinker_lighten(sh);
        any |= shrinker_round(sh);
        if (!any)
            break;
    }
}

static int shrink_usage(FILE *err, const char *problem)
{
    fprintf(err, "ksim shrink: %s\nusage: ksim shrink FILE [--out PATH] [--runs N]\n", problem);
    return RUNNER_EXIT_USAGE;
}

static int shrink_args(int argc, char **argv, const char **path, const char **out_path,
                       uint32_t *runs, FILE *err)
{
    *path = NULL;
    *out_path = NULL;
    *runs = SHRINK_RUNS_DEFAULT;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            *out_path = argv[++i];
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            char *end = NULL;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v == 0 || v > 1000000)
                return shrink_usage(err, "--runs takes a number from 1 to 1000000");
            *runs = (uint32_t)v;
        } else if (argv[i][0] == '-' || *path != NULL) {
            return shrink_usage(err, "unknown option or a second file");
        } else {
            *path = argv[i];
        }
    }
    return *path == NULL ? shrink_usage(err, "shrink needs a replay file") : RUNNER_EXIT_OK;
}

static void shrink_default_out(const char *path, char *buf, size_t bytes)
{
    snprintf(buf, bytes, "%s", path);
    char *dot = strrchr(buf, '.');
    if (dot != NULL && strcmp(dot, ".replay") == 0)
        *dot = '\0';
    size_t n = strlen(buf);
    snprintf(buf + n, bytes - n, ".shrunk.scn");
}

/* The output's header comment, naming the file and the command that runs it. */
static void shrink_comment(struct shrinker *sh, const char *out_path)
{
    char bugs[512] = "";
    for (uint32_t i = 0; i < sh->file->bug_count; i++) {
        size_t n = strlen(bugs);
        snprintf(bugs + n, sizeof(bugs) - n, " --bug %s", sh->file->bugs[i]);
    }
    snprintf(sh->comment, sizeof(sh->comment),
             "# Shrunk by ksim shrink from %s: still breaks %s.\n# Run: ksim run %s%s",
             sh->file->name, sh->invariant, out_path, bugs);
}

/* Write the scenario and a replay file of it beside (PATH.replay). */
static enum ks_err shrink_write(struct shrinker *sh, const char *out_path, FILE *out)
{
    char *text = shrink_format(sh->best, sh->comment);
    FILE *file = fopen(out_path, "w");
    bool failed = file == NULL || fputs(text, file) < 0;
    failed |= file != NULL && fclose(file) != 0;
    char replay_path[SHRINK_PATH_BYTES_MAX + 16];
    snprintf(replay_path, sizeof(replay_path), "%s.replay", out_path);
    /* Run the final text again for the hash the replay file promises (and to be sure it
     * still fails: candidates ran with the same header, so it does). */
    struct runner_result *r = ks_alloc(sizeof(*r));
    failed |= !shrinker_fails(sh, text, r);
    struct replay_file f;
    replay_file_from_result(&f, out_path, text, &sh->options, r);
    free(r);
    failed |= !failed && replay_save(&f, replay_path) != KS_OK;
    replay_file_free(&f);
    free(text);
    if (!failed)
        fprintf(out, "ksim shrink: wrote %s (and %s)\n", out_path, replay_path);
    return failed ? KS_ERR_IO : KS_OK;
}

static void shrink_report(const struct shrinker *sh, const struct shrink_script *before, FILE *out)
{
    const struct shrink_script *b = sh->best;
    fprintf(out,
            "ksim shrink: %" PRIu32 " candidate runs; nodes %" PRIu32 " -> %" PRIu32
            ", lines %" PRIu32 " -> %" PRIu32 ", run %" PRIu64 "ms -> %" PRIu64
            "ms; still breaks %s at %" PRIu64 "ms\n",
            sh->runs, before->node_count, b->node_count, before->action_count, b->action_count,
            before->run_ns / 1000000u, b->run_ns / 1000000u, sh->invariant,
            sh->result.violation_count > 0 ? sh->result.violations[0].time_ns / 1000000u : 0);
}

static int shrink_file(struct shrinker *sh, const struct scn_script *script, const char *out_path,
                       FILE *out, FILE *err)
{
    struct runner_result *r = ks_alloc(sizeof(*r));
    struct tracelog *log = NULL;
    int code = RUNNER_EXIT_USAGE;
    if (tracelog_capture(script, &sh->options, r, &log) != KS_OK) {
        fprintf(err, "ksim shrink: the run could not be set up\n");
    } else if (r->violation_count == 0 || strcmp(r->violations[0].invariant, sh->invariant) != 0) {
        fprintf(err, "ksim shrink: the file's run does not break %s any more\n", sh->invariant);
        code = RUNNER_EXIT_OK;
    } else {
        sh->result = *r;
        shrink_comment(sh, out_path);
        sh->best = shrink_from_script(script, sh->file->seed);
        struct shrink_script *before = shrink_copy(sh->best);
        shrinker_search(sh, log);
        shrink_report(sh, before, out);
        shrink_free(before);
        code = shrink_write(sh, out_path, out) == KS_OK ? RUNNER_EXIT_VIOLATION : RUNNER_EXIT_USAGE;
        shrink_free(sh->best);
    }
    tracelog_free(log);
    free(r);
    return code;
}

int shrink_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL, *out_arg = NULL;
    uint32_t runs = 0;
    int code = shrink_args(argc, argv, &path, &out_arg, &runs, err);
    if (code != RUNNER_EXIT_OK)
        return code;
    struct replay_file f;
    char message[REPLAY_ERROR_BYTES_MAX], out_path[SHRINK_PATH_BYTES_MAX];
    if (replay_load(path, &f, message, sizeof(message)) != KS_OK) {
        fprintf(err, "ksim shrink: %s: %s\n", path, message);
        return RUNNER_EXIT_USAGE;
    }
    struct shrinker *sh = ks_alloc(sizeof(*sh));
    sh->file = &f;
    sh->invariant = f.violation.invariant;
    sh->runs_max = runs;
    sh->options.scenario_path = f.name;
    sh->options.seed_set = true;
    sh->options.seed = f.seed;
    struct scn_script *script = NULL;
    struct scn_error error;
    if (f.outcome != REPLAY_OUTCOME_VIOLATION) {
        fprintf(err, "ksim shrink: %s: only a violation can be shrunk (outcome %s)\n", path,
                replay_outcome_name(f.outcome));
        code = RUNNER_EXIT_USAGE;
    } else if (!replay_options_bugs(&f, &sh->options)) {
        fprintf(err, "ksim shrink: %s: names an unknown bug switch\n", path);
        code = RUNNER_EXIT_USAGE;
    } else if (scn_parse(runner_lang(), f.name, f.scenario, &script, &error) != KS_OK) {
        scn_error_print(&error, err);
        code = RUNNER_EXIT_USAGE;
    } else {
        if (out_arg == NULL)
            shrink_default_out(path, out_path, sizeof(out_path));
        else
            snprintf(out_path, sizeof(out_path), "%s", out_arg);
        code = shrink_file(sh, script, out_path, out, err);
    }
    scn_script_free(script);
    free(sh);
    replay_file_free(&f);
    return code;
}
