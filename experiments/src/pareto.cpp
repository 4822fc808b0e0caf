#include "bitblock/experiments/pareto.hpp"

#include <algorithm>
#include <numeric>

namespace bitblock::experiments {

std::vector<int> pareto_front(const std::vector<CostAccuracy>& points) {
  std::vector<int> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  // Cheapest first; among equal costs the most accurate first.
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (points[a].cost != points[b].cost) return points[a].cost < points[b].cost;
    if (points[a].accuracy != points[b].accuracy) return points[a].accuracy > points[b].accuracy;
    return a < b;
  });
  std::vector<int> front;
  for (int i : order) {
    if (front.empty()) {
      front.push_back(i);
      continue;
    }
    const CostAccuracy& last = points[front.back()];
    const CostAccuracy& p = points[i];
    const bool duplicate = p.cost == last.cost && p.accuracy == last.accuracy;
    if (duplicate || p.accuracy > last.accuracy) front.push_back(i);
  }
  return front;
}

}  // namespace bitblock::experiments
