#pragma once
// All layer types, for code that builds models.
#include "bitblock/framework/activation.hpp"
#include "bitblock/framework/batchnorm.hpp"
#include "bitblock/framework/conv2d.hpp"
#include "bitblock/framework/dropout.hpp"
#include "bitblock/framework/flatten.hpp"
#include "bitblock/framework/linear.hpp"
#include "bitblock/framework/pool.hpp"
