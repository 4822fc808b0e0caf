#pragma once
// The training loop: data, model, optimizer, schedule, constraints, progress, metrics,
// checkpoints (atomic, every epoch and on interruption), exact resume, NaN guard. The model
// trains on the device the options or the config ask for (train.device: auto uses a usable
// GPU, else the CPU with one log line saying so); checkpoints and model files are the same
// whichever device wrote them.
#include <cstdint>
#include <string>
#include <vector>

#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/export.hpp"
#include "bitblock/framework/loss.hpp"
#include "bitblock/framework/memory_report.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "bitblock/framework/run_folder.hpp"
#include "bitblock/framework/sequential.hpp"

namespace bitblock {

struct TrainOptions {
  std::string data_dir = "data";
  std::string out_dir;             // default runs/<name>
  RunStart start = RunStart::New;  // see run_folder.hpp: New, Resume (--resume), Restart (--restart)
  int threads = 0;                 // 0: all cores
  std::string device;              // cpu | cuda | auto; empty: the config's train.device
  bool quiet = false;              // no progress lines (log file still written)
  int64_t stop_after_batches = -1; // act as if interrupted after this many batches (tests)
};

enum class TrainStatus { Finished, Interrupted, Diverged };

struct TrainOutcome {
  TrainStatus status = TrainStatus::Finished;
  std::string out_dir;
  std::vector<EpochMetrics> history;
  MemoryReport memory;
  ExportOutcome exported;          // model.bbm and its integer-only accuracy
};

// Throws InputError for bad data, configs or checkpoints, and for a run folder that does not
// allow options.start (open_run_folder); errors after the run log is open are also written to it.
TrainOutcome train(const ExperimentConfig& config, const TrainOptions& options);

struct EvalResult {
  double loss = 0.0, accuracy = 0.0;
  int64_t samples = 0;
};
EvalResult evaluate(Sequential& net, const Dataset& data, const ExperimentConfig& config, int batch_size);

// Set by the CLI's SIGINT handler; the loop finishes the batch, writes a checkpoint and stops.
void request_interrupt();
bool interrupt_requested();

// Sets OpenMP and OpenBLAS thread counts (0: all cores); returns the count in use.
int set_threads(int threads);

// Parameters, buffers, optimizer state and masks <-> checkpoint entries (by name).
void collect_state(Sequential& net, Optimizer* optimizer, Checkpoint& out);
void restore_state(Sequential& net, Optimizer* optimizer, const Checkpoint& in, const std::string& path);

// A trained network back from its checkpoint: the config it was trained under, its data set and
// the network with parameters, buffers and masks restored (for eval and export).
struct RestoredRun {
  Checkpoint checkpoint;
  ExperimentConfig config;
  DataSplits data;
  Sequential net;
};
RestoredRun restore_run(const std::string& checkpoint_path, const std::string& data_dir,
                        Device device = Device::Cpu);

// A copy of a trained network on the host (parameters, buffers and masks), for export and
// integer inference of a network trained on a device.
Sequential host_copy(Sequential& net, const ExperimentConfig& config, const ModelInput& input);

}  // namespace bitblock
