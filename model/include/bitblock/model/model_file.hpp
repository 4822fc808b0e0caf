#pragma once
// The model file (.bbm): one self-describing, versioned file holding an integer Network.
//
// Layout (all integers little-endian), version 2:
//   bytes 0..3    magic "BBM1"
//   bytes 4..7    uint32 format version (kModelFileVersion)
//   bytes 8..15   uint64 header length L
//   bytes 16..19  uint32 CRC32 of the L header bytes (version 1 had no header CRC)
//   bytes 20..    L bytes of JSON header (UTF-8):
//     { "format": "bitblock-model", "dataset", "num_classes",
//       "input": {"shape": [C,H,W], "mode": "pixel"|"centered", "scale"},
//       "training": {free-form},
//       "stages": [ { "name", "op": "dense"|"conv", "input": [C,H,W], "output": [C,H,W],
//                     "kernel", "stride", "padding",
//                     "weights": {"rows", "cols", "block_rows", "block_cols", "bits", "kept_blocks"},
//                     "pool": {"size", "stride", "placement": "acc"|"codes"},
//                     "activation": {"kind": "sign"|"unsigned"|"signed"|"none", "bits"},
//                     "shift",
//                     "constraints": {"bits", "structure", "block": [R, C], "ratio",
//                                     "selection": "random"|"magnitude", "scale": "per_row"|"per_layer"},
//                     "memory": {"kept_values", "value_bits", "index_bits", "scale_bits"} } ],
//       "blobs": [ {"name", "offset", "size", "crc32"} ] }
//   then the data section, starting at the first multiple of 64 at or after 20 + L; blob offsets
//   are relative to it and are multiples of 64 (zero padding between blobs); blobs do not overlap.
// Blobs of stage k (names "stage<k>.<field>"):
//   codes          uint8   BsrWeights::packed (k-bit codes of kept blocks, verbatim)
//   block_row_ptr  int32   num_block_rows + 1
//   block_col_idx  int32   kept_blocks
//   row_scales     float32 rows (dequantization metadata; integer inference does not use them)
//   mult           int32   rows (m_c)
//   bias           int64   rows (b_c)
// Each blob's crc32 is zlib's crc32 of its bytes. "constraints.bits" and "block" repeat the
// weights' bits and block shape; "memory" is what stage_memory computes (written for readers of
// the JSON; the loader recomputes it and rejects a file whose numbers differ).
#include <cstdint>
#include <string>

#include "bitblock/model/network.hpp"

namespace bitblock::model {

constexpr uint32_t kModelFileVersion = 2;

struct ModelFile {
  Network network;
  int64_t file_bytes = 0;  // set by load_model
};

// Serialised bytes of a model (validates the network first; InputError naming "model").
std::string serialize_model(const Network& net);
// Writes atomically (write_file_atomic).
void save_model(const ModelFile& model, const std::string& path);
// Throws InputError naming the file for: bad magic, another version (version 1 files: the
// message says how to re-export them), truncation (header or blob beyond EOF), a header CRC or
// blob CRC mismatch (naming the blob), invalid JSON (syntax, nesting deeper than
// kMaxDocumentDepth, duplicate keys), missing or mistyped header keys, integers out of range,
// header/blob disagreement (sizes vs shapes, inconsistent block pointers, codes out of range in
// padding positions, blobs no stage uses, blobs that overlap, non-finite row scales), memory
// numbers that differ from the recomputation, and an invalid network (validate_network, which
// also restricts stage and data set names to a safe character set).
ModelFile load_model(const std::string& path);
ModelFile parse_model(const std::string& bytes, const std::string& where);

}  // namespace bitblock::model
