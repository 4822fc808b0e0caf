#pragma once
// The report's summary tables, computed from result rows alone: runs that differ only in their
// seed (mean and spread of accuracy), and the least weight memory that reaches each accuracy
// level (overall and per value of a grouping key such as the sparsity structure).
#include <string>
#include <vector>

#include "bitblock/experiments/results.hpp"

namespace bitblock::experiments {

struct SeedGroup {
  std::string label;            // run_label of the group without the seed
  std::vector<int> runs;        // indices into the rows, in row order
  std::vector<std::string> seeds;  // the seed of each run ("" = the base config's seed)
  double mean_acc = 0.0;        // test accuracy, fraction
  double std_acc = 0.0;         // sample standard deviation (n - 1), 0 for one run
  double min_acc = 0.0, max_acc = 0.0;
};

// Groups of >= 2 runs whose grid keys are equal apart from a key named `seed` (a run without
// that key ran the base config's seed). Groups are in the order of their first run.
std::vector<SeedGroup> seed_groups(const std::vector<ResultRow>& rows);

// Index of the run with the least weight_kib among those with test_acc >= level (fraction) and,
// when group_key is not empty, the grid value `group_value` for that key; -1 when none.
// Equal memory: the higher accuracy, then the earlier row.
int least_memory_at(const std::vector<ResultRow>& rows, double level, const std::string& group_key,
                    const std::string& group_value);

// Accuracy levels worth asking about: every half point from the best accuracy down, `count` of
// them (best 98.93% -> 98.5, 98.0, 97.5, 97.0 for count 4), as fractions.
std::vector<double> accuracy_levels(const std::vector<ResultRow>& rows, int count);

// The grid key ending in ".structure" (or named "structure"), or "" when the sweep has none.
std::string structure_key(const std::vector<ResultRow>& rows);

// Markdown of both tables (empty when there is nothing to show).
std::string seed_table_markdown(const std::vector<ResultRow>& rows);
std::string least_memory_markdown(const std::vector<ResultRow>& rows);

}  // namespace bitblock::experiments
