#pragma once
// Pareto front of (cost, accuracy) points: a point is on the front when no other point has
// cost <= its cost and accuracy >= its accuracy with one of the two strictly better.
#include <vector>

namespace bitblock::experiments {

struct CostAccuracy {
  double cost;       // e.g. weight KiB or nJ per classification (lower is better)
  double accuracy;   // higher is better
};

// Indices of the points on the front, ordered by increasing cost. Duplicated points are all kept.
std::vector<int> pareto_front(const std::vector<CostAccuracy>& points);

}  // namespace bitblock::experiments
