/* The driver's steps: one file each in src/driver/, one entry each in
 * main.c's table.  Every step takes the arguments after its name and
 * returns the process exit status. */
#ifndef MS_STEPS_H
#define MS_STEPS_H

int cmd_doctor(int argc, char **argv);
int cmd_overview(int argc, char **argv);
int cmd_arenas(int argc, char **argv);
int cmd_hotspots(int argc, char **argv);
int cmd_syscalls(int argc, char **argv);
int cmd_trim(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_guide(int argc, char **argv);
int cmd_stap(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* Exit statuses shared by every step. */
enum { MS_EXIT_OK = 0, MS_EXIT_FINDING = 1, MS_EXIT_ERROR = 2 };

#endif
