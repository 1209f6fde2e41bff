// What the fuzz seeds and fuzz_event_log_read agree on: the stream whose first
// event (position 1, version 1) the end-to-end harness overwrites.
#pragma once

namespace journey::fuzz {

inline constexpr const char* kSampleStream = "hire-da9d3daf";

}  // namespace journey::fuzz
