// A cereal input archive for bytes we did not necessarily write ourselves.
//
// It reads exactly cereal's PortableBinary format (payloads written by
// cereal::PortableBinaryOutputArchive decode unchanged), but it does not
// trust the bytes:
//   - every size tag (a string's length, a vector's element count) must fit in
//     the bytes that are left: each element takes at least one byte, so a
//     corrupted length can never make it allocate more than the payload holds
//     (cereal's own archive resizes first and reads later: 9 bytes claiming a
//     4 GiB string allocated 4 GiB, found by tools/fuzz/fuzz_event_decode);
//   - a bool must be 0 or 1 (any other byte would be undefined behaviour).
// Violations throw cereal::Exception, like any other malformed input.
//
// Thread safety: one archive per thread, like every cereal archive.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cstdint>
#include <istream>
#include <string>

namespace journey {

class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  // REQUIRES: `size` is the number of bytes the stream holds from here on.
  BoundedInputArchive(std::istream& stream, std::size_t size)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        stream_(stream),
        remaining_(size) {
    std::uint8_t little = 0;
    load_bytes<1>(&little, 1);
    if (little > 1) throw cereal::Exception("bad endianness byte");
    swap_ = (little == 1) != cereal::portable_binary_detail::is_little_endian();
  }

  template <std::streamsize DataSize>
  void load_bytes(void* data, std::streamsize size) {
    if (size < 0 || static_cast<std::size_t>(size) > remaining_)
      throw cereal::Exception("payload ends early: " + std::to_string(size) + " bytes wanted, " +
                              std::to_string(remaining_) + " left");
    const auto got = stream_.rdbuf()->sgetn(static_cast<char*>(data), size);
    if (got != size) throw cereal::Exception("payload ends early");
    remaining_ -= static_cast<std::size_t>(size);
    if (swap_) {
      auto* p = static_cast<std::uint8_t*>(data);
      for (std::streamsize i = 0; i < size; i += DataSize)
        cereal::portable_binary_detail::swap_bytes<DataSize>(p + i);
    }
  }

  std::size_t remaining() const { return remaining_; }

 private:
  std::istream& stream_;
  std::size_t remaining_;
  bool swap_ = false;
};

}  // namespace journey

namespace cereal {

template <class T>
inline typename std::enable_if<std::is_arithmetic<T>::value && !std::is_same<T, bool>::value,
                               void>::type
CEREAL_LOAD_FUNCTION_NAME(journey::BoundedInputArchive& ar, T& t) {
  ar.template load_bytes<sizeof(T)>(std::addressof(t), sizeof(t));
}

inline void CEREAL_LOAD_FUNCTION_NAME(journey::BoundedInputArchive& ar, bool& t) {
  std::uint8_t byte = 0;
  ar.template load_bytes<1>(&byte, 1);
  if (byte > 1) throw Exception("a bool is neither 0 nor 1");
  t = byte == 1;
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(journey::BoundedInputArchive& ar, NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(journey::BoundedInputArchive& ar, SizeTag<T>& t) {
  ar(t.size);
  if (static_cast<std::uint64_t>(t.size) > ar.remaining())
    throw Exception("a length of " + std::to_string(static_cast<std::uint64_t>(t.size)) +
                    " does not fit in the " + std::to_string(ar.remaining()) + " bytes left");
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(journey::BoundedInputArchive& ar, BinaryData<T>& bd) {
  using TT = typename std::remove_pointer<T>::type;
  ar.template load_bytes<sizeof(TT)>(bd.data, static_cast<std::streamsize>(bd.size));
}

}  // namespace cereal

CEREAL_REGISTER_ARCHIVE(journey::BoundedInputArchive)
