#include "train/progress.hpp"

#include <algorithm>
#include <cstdio>

#include "bitblock/common/atomic_file.hpp"

namespace bitblock {

std::string format_duration(double s) {
  char buf[32];
  int total = static_cast<int>(s + 0.5);
  if (total >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", total / 3600, (total / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", total / 60, total % 60);
  return buf;
}

std::string run_line(const std::string& dir, const ExperimentConfig& config, const DataSplits& data, int threads,
                     Device device) {
  return "run " + dir + ": " + to_string(config.dataset) + " (" + std::to_string(data.train.size()) + " train, " +
         std::to_string(data.test.size()) + " test), " + std::to_string(config.epochs) + " epochs, batch " +
         std::to_string(config.batch_size) + ", " + std::to_string(threads) + " threads, seed " +
         std::to_string(config.seed) + ", device " + describe(device);
}

std::string batch_line(int epoch, int epochs, int64_t b, int64_t batches, const TrainPosition& pos, double lr,
                       double samples_per_s, double left_samples) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "epoch %d/%d  batch %lld/%lld  loss %.4f  acc %.2f%%  lr %.2e  %.0f samples/s  ETA %s",
                epoch + 1, epochs, static_cast<long long>(b), static_cast<long long>(batches),
                pos.loss_sum / double(pos.seen), 100.0 * double(pos.correct) / double(pos.seen), lr, samples_per_s,
                format_duration(left_samples / std::max(samples_per_s, 1e-9)).c_str());
  return buf;
}

std::string epoch_line(const EpochMetrics& m, int epochs) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "epoch %d/%d done: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%% | %.0f samples/s, %.1f s",
                m.epoch, epochs, m.train_loss, 100.0 * m.train_acc, m.test_loss, 100.0 * m.test_acc, m.samples_per_s,
                m.seconds);
  return buf;
}

std::string diverged_line(const std::string& what, const std::string& checkpoint_path) {
  return "error: training diverged: " + what + " (lower train.optimizer.lr?); last good checkpoint kept: " +
         (file_exists(checkpoint_path) ? checkpoint_path : std::string("none written yet"));
}

}  // namespace bitblock
