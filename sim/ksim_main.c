/*
 * ksim_main.c: the simulator's command line (DESIGN.md, "Command line contract").
 *
 *   ksim run FILE [--seed N] [--trace PATH] [--bug NAME]... [--check-determinism]
 *                 [--dump-disks DIR] [--quiet]
 *   ksim swarm [SCENARIO...] [--seeds N | --time S] [--jobs J] [--shard I/N] ... (swarm.h)
 *   ksim replay FILE [--until TIME] [--narrate] [--trace PATH] [--report DIR] (replay.h)
 *   ksim shrink FILE [--out PATH] [--runs N] (shrink.h)
 *   ksim dump-log FILE... [--json] [--deep-iteration] [--print-data-log] (dumplog.h)
 *   ksim diff ... (diff.h): the first event where two runs differ
 *   ksim bugs
 *   ksim help
 *
 * Exit codes: 0 every invariant held, 1 an invariant was violated (or the run was not
 * deterministic), 2 bad input or usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../system/bugs.h"
#include "diff.h"
#include "dumplog.h"
#include "replay.h"
#include "report.h"
#include "runner.h"
#include "shrink.h"
#include "swarm.h"

#define KSIM_ARGS_MAX 1024

static const char usage_text[] =
    "usage: ksim run FILE [--seed N] [--trace PATH] [--bug NAME]... [--check-determinism]\n"
    "                     [--dump-disks DIR] [--report DIR] [--quiet]\n"
    "       ksim swarm [SCENARIO...] [--seeds N | --time S] [--jobs J] [--shard I/N] [--out DIR]\n"
    "                  [--bug NAME]... [--seed-start S] [--first] [--run SECONDS] [--no-reports]\n"
    "       ksim replay FILE [--until TIME] [--narrate] [--trace PATH] [--report DIR]\n"
    "                  (exit 3: the trace hash differed)\n"
    "       ksim shrink FILE [--out PATH] [--runs N]\n"
    "       ksim dump-log FILE... [--json] [--deep-iteration] [--print-data-log]\n"
    "                     [--index-sanity-check]   segments, indexes, checkpoints\n"
    "       ksim diff --trace-a FILE --trace-b FILE | SCN [--seed N] [--seed-b N] [--bug NAME]...\n"
    "                 [--set [NODE:]KEY=VALUE]...   the first event where two runs differ\n"
    "       ksim bugs      list the bug switches and the invariant each must break\n"
    "       ksim help\n"
    "exit: 0 every invariant held, 1 a violation, 2 bad input or usage\n";

static int usage(FILE *out, const char *problem)
{
    if (problem != NULL)
        fprintf(out, "ksim: %s\n", problem);
    fputs(usage_text, out);
    return RUNNER_EXIT_USAGE;
}

static int bugs_list(void)
{
    uint32_t count = 0;
    const struct ks_bug_info *table = ks_bug_table(&count);
    KS_ASSERT(count == KS_BUG_COUNT);
    for (uint32_t i = 0; i < count; i++) {
        /* a switch is caught in a scenario (scenarios/NAME.scn) or in a test (a path) */
        bool in_scenario = strchr(table[i].scenario, '/') == NULL;
        printf("%s\t%s\t%s%s\t%s\n", table[i].name, table[i].invariant,
               in_scenario ? "scenarios/" : "", table[i].scenario, table[i].summary);
    }
    return RUNNER_EXIT_OK;
}

static bool seed_parse(const char *text, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = value;
    return true;
}

static int bug_add(struct runner_options *o, const char *name)
{
    const struct ks_bug_info *bug = ks_bug_find(name);
    if (bug == NULL) {
        fprintf(stderr, "ksim: unknown bug switch '%s' (ksim bugs lists them)\n", name);
        return RUNNER_EXIT_USAGE;
    }
    if ((o->bugs >> bug->bug) & 1u)
        return RUNNER_EXIT_OK;
    KS_ASSERT(o->bug_count < RUNNER_BUGS_MAX);
    o->bugs |= (env_bug_mask)1 << bug->bug;
    o->bug_names[o->bug_count++] = bug->name;
    return RUNNER_EXIT_OK;
}

/* One option at argv[*i] (advancing past its value). */
static int run_option(struct runner_options *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    bool has_value = *i + 1 < argc;
    const char *value = has_value ? argv[*i + 1] : NULL;
    if (strcmp(arg, "--check-determinism") == 0) {
        o->check_determinism = true;
        return RUNNER_EXIT_OK;
    }
    if (strcmp(arg, "--quiet") == 0) {
        o->quiet = true;
        return RUNNER_EXIT_OK;
    }
    bool takes_value = strcmp(arg, "--seed") == 0 || strcmp(arg, "--trace") == 0 ||
                       strcmp(arg, "--bug") == 0 || strcmp(arg, "--dump-disks") == 0 ||
                       strcmp(arg, "--report") == 0;
    if (!takes_value) {
        fprintf(stderr, "ksim: unknown option '%s'\n", arg);
        return RUNNER_EXIT_USAGE;
    }
    if (!has_value) {
        fprintf(stderr, "ksim: %s needs a value\n", arg);
        return RUNNER_EXIT_USAGE;
    }
    (*i)++;
    if (strcmp(arg, "--seed") == 0) {
        o->seed_set = true;
        if (!seed_parse(value, &o->seed)) {
            fprintf(stderr, "ksim: --seed takes a whole number, not '%s'\n", value);
            return RUNNER_EXIT_USAGE;
        }
    } else if (strcmp(arg, "--trace") == 0) {
        o->trace_path = value;
    } else if (strcmp(arg, "--dump-disks") == 0) {
        o->dump_disks_dir = value;
    } else if (strcmp(arg, "--report") == 0) {
        o->report_dir = value;
    } else {
        return bug_add(o, value);
    }
    return RUNNER_EXIT_OK;
}

/* --report: the same run again, traced, into DIR/report.html. */
static int report_command(const struct runner_options *o, int code)
{
    char *text = NULL;
    size_t len = 0;
    struct scn_script *script = NULL;
    struct scn_error error;
    char command[2048], path[4096];
    if (replay_read_all(o->scenario_path, SCN_FILE_BYTES_MAX, &text, &len) != KS_OK ||
        scn_parse(runner_lang(), o->scenario_path, text, &script, &error) != KS_OK) {
        free(text);
        return RUNNER_EXIT_USAGE;
    }
    struct runner_options quiet = *o;
    quiet.seed_set = true;
    quiet.seed = runner_seed(script, o);
    int used = snprintf(command, sizeof(command), "ksim run %s --seed %" PRIu64, o->scenario_path,
                        quiet.seed);
    for (uint32_t i = 0; i < o->bug_count && used > 0 && (size_t)used < sizeof(command); i++)
        used +=
            snprintf(command + used, sizeof(command) - (size_t)used, " --bug %s", o->bug_names[i]);
    enum ks_err err = report_run(o->report_dir, o->scenario_path, text, script, &quiet, command,
                                 path, sizeof(path));
    if (err == KS_OK)
        fprintf(stderr, "ksim: report written to %s\n", path);
    else
        fprintf(stderr, "ksim: cannot write the report under %s\n", o->report_dir);
    scn_script_free(script);
    free(text);
    return err == KS_OK ? code : RUNNER_EXIT_USAGE;
}

static int run_command(int argc, char **argv)
{
    struct runner_options o;
    memset(&o, 0, sizeof(o));
    for (int i = 2; i < argc && i < KSIM_ARGS_MAX; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            if (o.scenario_path != NULL)
                return usage(stderr, "run takes one scenario file");
            o.scenario_path = argv[i];
            continue;
        }
        int code = run_option(&o, argc, argv, &i);
        if (code != RUNNER_EXIT_OK)
            return usage(stderr, NULL);
    }
    if (argc > KSIM_ARGS_MAX)
        return usage(stderr, "too many arguments");
    if (o.scenario_path == NULL)
        return usage(stderr, "run needs a scenario file");
    int code = runner_main(&o, stdout, stderr);
    if (o.report_dir != NULL && code != RUNNER_EXIT_USAGE)
        code = report_command(&o, code);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr, "no command");
    const char *command = argv[1];
    if (strcmp(command, "run") == 0)
        return run_command(argc, argv);
    if (strcmp(command, "dump-log") == 0)
        return dumplog_main(argc - 2, argv + 2, stdout, stderr);
    if (strcmp(command, "bugs") == 0 && argc == 2)
        return bugs_list();
    if (strcmp(command, "swarm") == 0)
        return swarm_main(argc - 2, argv + 2, stdout, stderr);
    if (strcmp(command, "replay") == 0)
        return replay_main(argc - 2, argv + 2, stdout, stderr);
    if (strcmp(command, "diff") == 0)
        return diff_main(argc - 2, argv + 2, stdout, stderr);
    if (strcmp(command, "shrink") == 0)
        return shrink_main(argc - 2, argv + 2, stdout, stderr);
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "-h") == 0) {
        usage(stdout, NULL);
        return RUNNER_EXIT_USAGE;
    }
    return usage(stderr, "unknown command");
}
