#ifndef ERRATA_CMD_H
#define ERRATA_CMD_H
/*
 * Subcommands of bin/errata. Each takes the arguments after its own name
 * and returns the process exit status.
 */
int cmd_contract(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_client(int argc, char **argv);

/* errata contract import|diff|docs (cmd_contract_tools.c): the arguments
 * after the subcommand's name. */
int contract_import_cmd(int argc, char **argv);
int contract_diff_cmd(int argc, char **argv);
int contract_docs_cmd(int argc, char **argv);

/* 1 when argv[i] is -h or --help. */
int is_help(const char *arg);

/* A finite number of seconds in (0, max], the whole argument: 0, or -1 (no
 * NaN, no infinity, nothing after it). */
int parse_seconds(const char *v, double max, double *out);

#endif
