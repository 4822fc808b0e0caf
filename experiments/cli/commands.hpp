#pragma once
// One entry point per subcommand, each in its own cmd_<name>.cpp. argv[0] is the subcommand.
// Each returns the process exit code (0 ok, 2 bad input, 1 internal error).

namespace bitblock::cli {

int cmd_train(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_summary(int argc, char** argv);
int cmd_data(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_sweep(int argc, char** argv);
int cmd_report(int argc, char** argv);
// hwsim: --model m.bbm --arch hwsim/arch/<name>.yaml --data-dir D --out DIR [--sweep key=v1,v2]
int cmd_hwsim(int argc, char** argv);
// eval / summary on a .bbm model file (cmd_eval / cmd_summary dispatch here when --model is given).
int cmd_eval_model(int argc, char** argv);
int cmd_summary_model(int argc, char** argv);

}  // namespace bitblock::cli
