# test_hotspots prints folded stacks (report/hotspots_report.c), which
# symbolise through elfutils.
LDLIBS_test_hotspots += -ldw -lelf
