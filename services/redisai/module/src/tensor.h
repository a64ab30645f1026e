// The tensor value: dtype, shape and a dense row-major byte buffer (spec §1).
//
// Tensors are immutable once built and shared through TensorPtr, so a queued run keeps a
// snapshot of its inputs while the keyspace moves on (spec §4.1). No libtorch here: the torch
// bridge converts at run time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rai {

enum class DType { Float, Double, Int8, Int16, Int32, Int64, UInt8, UInt16, Bool, String };

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;         // bytes per element; 1 for STRING's NUL-separated bytes
  uint64_t rdb_code;   // reference RDB v4 codes: INT=0, UINT=1, FLOAT=2, BOOL=6, STRING=7
  uint64_t rdb_bits;
};

const DTypeInfo& Info(DType d);
// Exact name match, case-insensitive (INT08 is invalid).
std::optional<DType> ParseDType(std::string_view name);
std::optional<DType> DTypeFromRdb(uint64_t code, uint64_t bits);

struct Tensor {
  DType dtype = DType::Float;
  std::vector<int64_t> shape;
  std::string data;                // packed elements; STRING: each element ends with NUL
  std::vector<uint64_t> offsets;   // STRING only: start of each element in `data`

  size_t Count() const;            // product of the dims, 1 for a scalar
  std::string_view StringAt(size_t i) const;  // STRING element without its NUL
};

using TensorPtr = std::shared_ptr<const Tensor>;

// Element count of `shape`, or nullopt if the product overflows.
std::optional<uint64_t> ElementCount(const std::vector<int64_t>& shape);

// Fills `t->offsets` from a STRING blob; false unless there are exactly t->Count() elements.
bool IndexStrings(Tensor* t);

// Byte size of a tensor of `count` elements of `dtype` (zero-filled STRING: one NUL each).
std::optional<uint64_t> ByteSize(DType dtype, uint64_t count);

}  // namespace rai
