// Maintained views of the hires; the contract and key layout are in views.h.
#include "journey/engine/views.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <exception>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "journey/engine/access.h"
#include "journey/workflows/bounded_archive.h"
#include "journey/workflows/cereal_events.h"

namespace journey {
// An enum as a 32-bit number, refused when out of its range on the way in:
// a damaged entry must not become an enumerator that does not exist.
template <class E, int Max>
struct EnumField {
  E& e;
  template <class A>
  void save(A& ar) const {
    ar(static_cast<std::int32_t>(e));
  }
  template <class A>
  void load(A& ar) {
    std::int32_t v = 0;
    ar(v);
    if (v < 0 || v > Max) throw cereal::Exception("an enumerator is out of range");
    e = static_cast<E>(v);
  }
};
using RoleField = EnumField<workflows::Role, static_cast<int>(workflows::Role::EJ)>;
using PartField = EnumField<workflows::Part, static_cast<int>(workflows::Part::internal_support)>;
}  // namespace journey

namespace journey::engine {

template <class A>
void serialize(A& ar, HireIdentity& v) {
  ar(v.hire_id, v.name, v.unit, v.introducer_email);
}
template <class A>
void serialize(A& ar, PartProgress& v) {
  ar(PartField{v.part}, v.state, v.done, v.total, v.finished);
}
template <class A>
void serialize(A& ar, DeadlineStatus& v) {
  ar(v.id, v.title, PartField{v.part}, v.nominal, v.due, v.met, v.overdue);
}
template <class A>
void serialize(A& ar, OpenTask& v) {
  ar(v.index, v.item, RoleField{v.role}, v.due, v.overdue);
}
template <class A>
void serialize(A& ar, HireSummary& v) {
  ar(v.hire, v.lifecycle, v.overdue, v.next_deadline, v.parts, v.hours_owed, v.hours_logged,
     v.introducer_email, v.open_tasks);
}
template <class A>
void serialize(A& ar, HireView& v) {
  ar(v.id, v.summary, v.damage);
}
template <class A>
void serialize(A& ar, NotificationRow& v) {
  ar(v.version, v.index, v.message_id, v.channel, v.audience, v.to_email, v.subject,
     v.decided_at_us, v.outcome, v.attempts, v.code, v.detail, v.catch_up);
}
template <class A>
void serialize(A& ar, HireNotes& v) {
  ar(v.unit, v.rows, v.damage);
}

using storage::be64;
using storage::from_be64;
using storage::KvWrite;

namespace {

std::uint64_t day_number(date::sys_days d) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(d.time_since_epoch().count()));
}

std::string entry_key(const std::string& hire) { return "e" + hire; }
std::string unit_key(const std::string& unit, const std::string& hire) {
  return "u" + unit + '\0' + hire;
}
std::string introducer_key(const std::string& email, const std::string& hire) {
  return "i" + email_match_key(email) + '\0' + hire;
}

// The index keys an entry puts.
std::string damaged_key(const std::string& hire) { return std::string("d") + '\0' + hire; }

// A day as 8 bytes that sort as the days do (before 1970 too).
constexpr std::uint64_t kDayBias = std::uint64_t{1} << 63;
std::string day_bytes(date::sys_days d) {
  return be64(static_cast<std::uint64_t>(static_cast<std::int64_t>(d.time_since_epoch().count())) +
              kDayBias);
}
date::sys_days day_of_bytes(const std::string& s, std::size_t at) {
  return date::sys_days(date::days(static_cast<std::int64_t>(from_be64(s, at) - kDayBias)));
}
std::string task_key(const TaskRef& t) {
  std::string k = "t" + day_bytes(t.due) + t.unit + '\0' + t.hire + '\0';
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>(t.index >> shift));
  return k;
}
std::optional<TaskRef> task_of_key(const std::string& k) {
  if (k.size() < 1 + 8 + 2 + 4 || k[0] != 't') return std::nullopt;
  const auto unit_end = k.find('\0', 9);
  if (unit_end == std::string::npos) return std::nullopt;
  const auto hire_end = k.find('\0', unit_end + 1);
  if (hire_end == std::string::npos || hire_end + 5 != k.size()) return std::nullopt;
  TaskRef t{day_of_bytes(k, 1), k.substr(9, unit_end - 9),
            k.substr(unit_end + 1, hire_end - unit_end - 1), 0};
  for (std::size_t i = hire_end + 1; i < k.size(); ++i)
    t.index = (t.index << 8) | static_cast<unsigned char>(k[i]);
  return t;
}

// The prefix of the list index a lifecycle state names ("": every hire's).
std::string list_prefix(const std::string& state) {
  return state.empty() ? std::string("u") : "l" + state + '\0';
}

std::vector<std::string> index_keys(const HireView& v) {
  std::vector<std::string> keys{unit_key(v.id.unit, v.id.hire_id)};
  keys.push_back(list_prefix(v.summary ? v.summary->lifecycle : "Damaged") + v.id.unit + '\0' +
                 v.id.hire_id);
  if (!v.summary) keys.push_back(damaged_key(v.id.hire_id));
  std::string introducer = v.id.introducer_email;
  if (v.summary && !v.summary->introducer_email.empty()) introducer = v.summary->introducer_email;
  if (!introducer.empty()) keys.push_back(introducer_key(introducer, v.id.hire_id));
  if (v.summary)
    for (const auto& t : v.summary->open_tasks)
      keys.push_back(task_key(TaskRef{t.due, v.id.unit, v.id.hire_id, t.index}));
  return keys;
}

// The notifications view's keys.
std::string notes_key(const std::string& hire) { return "N" + hire; }
std::string note_tail(const NoteRef& n) {
  std::string k = n.unit + '\0' + n.hire + '\0' + be64(n.version);
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>(n.index >> shift));
  return k;
}
std::string note_prefix(char by, const std::string& value) {
  return std::string(1, by) + value + '\0';
}
// The NoteRef of an index key whose prefix (by, value, 0x00) is `prefix_size`
// bytes long; std::nullopt if it is not one.
std::optional<NoteRef> note_of_key(const std::string& k, std::size_t prefix_size) {
  const auto unit_end = k.find('\0', prefix_size);
  if (unit_end == std::string::npos) return std::nullopt;
  const auto hire_end = k.find('\0', unit_end + 1);
  if (hire_end == std::string::npos || hire_end + 1 + 8 + 4 != k.size()) return std::nullopt;
  NoteRef n{k.substr(prefix_size, unit_end - prefix_size),
            k.substr(unit_end + 1, hire_end - unit_end - 1), from_be64(k, hire_end + 1), 0};
  for (std::size_t i = hire_end + 9; i < k.size(); ++i)
    n.index = (n.index << 8) | static_cast<unsigned char>(k[i]);
  return n;
}
std::string message_key(const std::string& message, const std::string& hire) {
  return "m" + message + '\0' + hire;
}

std::vector<std::string> note_keys(const std::string& hire, const HireNotes& n) {
  std::vector<std::string> keys;
  std::set<std::string> messages;
  for (const auto& r : n.rows) {
    const std::string tail = note_tail(NoteRef{n.unit, hire, r.version, r.index});
    keys.push_back(note_prefix('o', r.outcome) + tail);
    if (failed_outcome(r.outcome)) keys.push_back(note_prefix('o', "failed") + tail);
    if (r.channel.rfind("webhook:", 0) == 0)
      keys.push_back(note_prefix('w', r.channel.substr(8)) + tail);
    messages.insert(r.message_id);
  }
  for (const auto& m : messages) keys.push_back(message_key(m, hire));
  return keys;
}

std::string rows_key(const std::string& hire) { return "R" + hire; }

// "N" hire: BE64 the stream version the rows are of, then the unit they are
// listed under (a move rewrites the index keys).
struct NotesLabel {
  std::uint64_t version = 0;
  std::string unit;
};
std::string encode_notes_label(std::uint64_t version, const std::string& unit) {
  return be64(version) + unit;
}
std::optional<NotesLabel> label_of_notes(const std::string& s) {
  if (s.size() < 8) return std::nullopt;
  return NotesLabel{from_be64(s, 0), s.substr(8)};
}

std::string encode_notes(const HireNotes& n) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(const_cast<HireNotes&>(n));
  }
  return os.str();
}
// std::nullopt for bytes this format cannot read: recomputed, like an entry.
std::optional<HireNotes> decode_notes(const std::string& s) {
  HireNotes n;
  try {
    std::istringstream is(s);
    BoundedInputArchive ar(is, s.size());
    ar(n);
    if (ar.remaining() != 0) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return n;
}

struct Entry {
  std::uint64_t version = 0;
  std::uint64_t day = 0;
  HireView view;
};

std::string encode(const Entry& e) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(const_cast<HireView&>(e.view));
  }
  return be64(e.version) + be64(e.day) + os.str();
}

// An entry's label, read without decoding the view: whether it is still
// good is decided from these 16 bytes alone.
struct Label {
  std::uint64_t version = 0;
  std::uint64_t day = 0;
};
std::optional<Label> label_of(const std::string& s) {
  if (s.size() < 16) return std::nullopt;
  return Label{from_be64(s, 0), from_be64(s, 8)};
}

// std::nullopt for bytes this format cannot read (a damaged or foreign
// entry): the caller recomputes it, as for a stale one.
std::optional<Entry> decode(const std::string& s) {
  if (s.size() < 16) return std::nullopt;
  Entry e;
  e.version = from_be64(s, 0);
  e.day = from_be64(s, 8);
  try {
    std::istringstream is(s.substr(16));
    BoundedInputArchive ar(is, s.size() - 16);
    ar(e.view);
    if (ar.remaining() != 0) return std::nullopt;  // not this format: recompute
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return e;
}

}  // namespace

struct HireViews::Impl {
  Impl(JourneyEngine& e, std::unique_ptr<storage::KvStore> k) : engine(e), kv(std::move(k)) {}
  JourneyEngine& engine;
  std::unique_ptr<storage::KvStore> kv;
  std::mutex apply_mu;  // apply(), refresh_day() and rebuild()
  // A rebuild the open deferred (defer_rebuild) that has not run yet.
  std::atomic<bool> pending{false};
  std::atomic<bool> stopping{false};  // stop(): long passes end after their current hire
  // "y" = D promises that every entry is of day D (the task index may be
  // read for D). An entry stored for another day (a read begun before
  // midnight and stored after the day's pass) breaks that: it sets "y" to 0
  // in its own write and counts here, and a pass or rebuild that saw such a
  // write while it ran does not set "y" at its end.
  std::mutex y_mu;
  std::uint64_t other_day_writes = 0;  // guarded by y_mu
  // One entry's read-modify-write (refresh), striped by hire: two refreshes
  // of one hire take turns, refreshes of different hires (reads, the
  // background apply, a rebuild's threads) do not wait for each other.
  std::array<std::mutex, 64> write_mu;
  std::mutex& write_mu_of(const std::string& hire) {
    return write_mu[std::hash<std::string>{}(hire) % write_mu.size()];
  }

  std::optional<std::string> get_raw(const std::string& k) {
    return storage::value_or_throw(kv->get(k), "reading the hire views");
  }
  std::uint64_t get_u64(const std::string& k) {
    auto v = get_raw(k);
    return v && v->size() == 8 ? from_be64(*v) : 0;
  }

  // Recomputes one hire for `today` and stores it with its index keys. Under
  // the hire's write_mu, with the old entry read again under it, so that two
  // refreshes of one hire cannot leave an index key of the older one behind.
  // Only the index keys that changed are written: logging hours moves none
  // of a hire's ~80 task keys, and rewriting them all (tombstones and puts in
  // the memtable) was most of a command's cost.
  // `failure`, if given, gets the reason when the entry could not be stored
  // (the answer is still returned: a view is a cache of the log).
  // `every_key`: put every index key, not only the changed ones (a rebuild:
  // a read's refresh that began before the clear may have stored an entry
  // whose unchanged keys the clear took).
  std::optional<HireView> refresh(const std::string& hire, date::sys_days today,
                                  std::string* failure = nullptr, bool every_key = false,
                                  std::optional<HireNotes>* notes_out = nullptr) {
    std::lock_guard<std::mutex> lock(write_mu_of(hire));
    auto raw = get_raw(entry_key(hire));
    const std::optional<Entry> old = raw ? decode(*raw) : std::nullopt;
    // The version first: the projection below sees at least this much.
    auto version = engine.log().stream_version(storage::StreamId(hire));
    if (!version) throw std::runtime_error("reading the hire views: " + version.error().message);
    KvWrite w;
    std::set<std::string> old_keys;
    if (old)
      for (auto& k : index_keys(old->view)) old_keys.insert(std::move(k));
    Entry e{version->value, day_number(today), HireView{}};
    bool absent = false;
    // The hire's notification records, from the projection's own read of
    // the stream (one read of it for both views).
    std::vector<storage::RecordedEvent> records;
    try {
      // A hire that replays says who may see it itself (its registration's
      // unit and name, corrections applied, and its current introducer);
      // only a damaged one is identified from its bytes' structure.
      auto status = engine.status_and_notifications(hire, today, records);
      absent = !status;  // no registration to project: not listed, as by a replay
      if (status) {
        e.view.id = HireIdentity{hire, status->hire.name, status->hire.unit,
                                 status->introducer ? status->introducer->introducer.email : ""};
        e.view.summary = summarize(*status);
      }
    } catch (const HireDamaged& d) {
      auto id = engine.identify(hire);
      absent = !id;
      if (id) e.view.id = std::move(*id);
      e.view.damage = d.what();
    }
    if (absent) {  // gone (or never a hire): no entry, no index keys
      w.deletes.assign(old_keys.begin(), old_keys.end());
      w.deletes.push_back(entry_key(hire));
      refresh_notes(hire, e.version, nullptr, records, every_key, w, notes_out);
      store(w, failure);
      return std::nullopt;
    }
    for (auto& k : index_keys(e.view))
      if (old_keys.erase(k) == 0 || every_key) w.puts.push_back({std::move(k), ""});
    w.deletes.assign(old_keys.begin(), old_keys.end());  // what the new entry no longer has
    w.puts.push_back({entry_key(hire), encode(e)});
    refresh_notes(hire, e.version, e.view.summary ? &e.view.id.unit : nullptr, records, every_key,
                  w, notes_out);
    std::unique_lock<std::mutex> y_lock(y_mu, std::defer_lock);
    if (e.day != day_number(engine.today())) {  // held across the store: see other_day_writes
      y_lock.lock();
      ++other_day_writes;
      w.puts.push_back({"y", be64(0)});
    }
    store(w, failure);
    return std::move(e.view);
  }

  // Adds to `w` what brings the hire's notification rows to stream version
  // `version`: none when `unit` is null (gone or damaged), else the rows of
  // `records` (the hire's notification records, read with its projection) in
  // that unit. Under the hire's write_mu (refresh()). The rows ("R") are
  // read and written only when they change; the label ("N") moves on every
  // change of the stream.
  void refresh_notes(const std::string& hire, std::uint64_t version, const std::string* unit,
                     const std::vector<storage::RecordedEvent>& records, bool every_key, KvWrite& w,
                     std::optional<HireNotes>* notes_out) {
    auto label = get_raw(notes_key(hire));
    const std::optional<NotesLabel> old_label = label ? label_of_notes(*label) : std::nullopt;
    std::optional<HireNotes> now;
    if (unit && old_label && old_label->unit == *unit && !every_key) {
      // Rows move only when notification records were appended since the
      // label (an hours entry moves none).
      const bool moved = std::any_of(
          records.begin(), records.end(),
          [&](const storage::RecordedEvent& r) { return r.version.value > old_label->version; });
      if (old_label->version == version || !moved) {
        std::optional<HireNotes> kept;
        if (notes_out) {
          auto rows = get_raw(rows_key(hire));
          kept = rows ? decode_notes(*rows) : std::nullopt;
        }
        // Unreadable rows are recomputed below, as for a stale label (and
        // the label is then written with them, never alone).
        if (!notes_out || kept) {
          if (old_label->version != version)
            w.puts.push_back({notes_key(hire), encode_notes_label(version, *unit)});
          if (notes_out) *notes_out = std::move(kept);
          return;
        }
      }
    }
    if (unit) {
      now.emplace();
      now->unit = *unit;
      now->rows = notification_rows(records, now->damage);
    }
    // The keys the stored rows put, to delete those the new ones lack.
    std::set<std::string> old_keys;
    auto old_rows = get_raw(rows_key(hire));
    if (old_rows)
      if (auto old = decode_notes(*old_rows))
        for (auto& k : note_keys(hire, *old)) old_keys.insert(std::move(k));
    if (!now) {
      w.deletes.insert(w.deletes.end(), old_keys.begin(), old_keys.end());
      if (label) w.deletes.push_back(notes_key(hire));
      if (old_rows) w.deletes.push_back(rows_key(hire));
      if (notes_out) notes_out->reset();
      return;
    }
    for (auto& k : note_keys(hire, *now))
      if (old_keys.erase(k) == 0 || every_key) w.puts.push_back({std::move(k), ""});
    w.deletes.insert(w.deletes.end(), old_keys.begin(), old_keys.end());
    w.puts.push_back({rows_key(hire), encode_notes(*now)});
    w.puts.push_back({notes_key(hire), encode_notes_label(version, *unit)});
    if (notes_out) *notes_out = std::move(now);
  }

  // A view is a cache of the log: when it cannot be written (a full disk),
  // the read still gets the computed answer, and apply() does not move the
  // position past what could not be stored (it passes `failure`).
  void store(const KvWrite& w, std::string* failure) {
    auto r = kv->write(w);
    if (!r && failure) *failure = r.error().message;
  }

  std::size_t apply_locked() {
    const date::sys_days today = engine.today();
    std::uint64_t pos = get_u64("c");
    std::set<std::string> dirty;
    for (;;) {
      auto batch =
          storage::value_or_throw(engine.log().read_all(storage::GlobalPosition{pos + 1}, 5000),
                                  "reading the log for the hire views");
      if (batch.empty()) break;
      for (const auto& e : batch) {
        pos = e.position.value;
        if (is_hire_id(e.stream.str())) dirty.insert(e.stream.str());
      }
    }
    std::string failure;
    for (const auto& h : dirty) refresh(h, today, &failure);
    if (!failure.empty()) throw std::runtime_error("writing the hire views: " + failure);
    if (!dirty.empty() || pos != get_u64("c"))
      storage::value_or_throw(kv->write(KvWrite{{{"c", be64(pos)}}, {}}), "writing the hire views");
    return dirty.size();
  }

  struct Stopped : std::runtime_error {
    Stopped() : std::runtime_error("the hire views are stopping") {}
  };

  // Runs f(hire, &failure) for every hire on one thread a core (each hire
  // alone under its write_mu); returns the first failure any call reported.
  // An exception stops every thread after its current hire and is rethrown.
  std::string in_parallel(const std::vector<std::string>& hires,
                          const std::function<void(const std::string&, std::string*)>& f) {
    const std::size_t threads =
        std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()),
                              std::max<std::size_t>(1, hires.size() / 64));
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::string failure;
    std::exception_ptr error;
    auto work = [&] {
      std::string mine;
      try {
        for (std::size_t i; !stop && !stopping && (i = next++) < hires.size();) f(hires[i], &mine);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        stop = true;
      }
      std::lock_guard<std::mutex> lock(mu);
      if (failure.empty()) failure = std::move(mine);
    };
    std::vector<std::thread> pool;
    try {
      for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    } catch (const std::system_error&) {
      // No more threads (EAGAIN): the ones started and this one do it all.
    }
    work();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    if (stopping && next.load() < hires.size()) throw Stopped();  // some never started
    return failure;
  }

  std::size_t refresh_day_pass() {
    const date::sys_days today = engine.today();
    // The day's pass (or a rebuild) is through: every entry is of today or
    // newer, and nothing needs listing every hire (a start reads the log's
    // every stream for that: 1 s and a filled block cache at 100k hires).
    if (get_u64("y") == day_number(today)) return 0;
    const std::uint64_t other_day_before = other_day_writes_now();
    std::atomic<std::size_t> n{0};
    // An entry left of another day: the due index is not today's.
    std::string failure = in_parallel(engine.hires(), [&](const std::string& h, std::string* f) {
      auto raw = get_raw(entry_key(h));
      auto label = raw ? label_of(*raw) : std::nullopt;
      if (label && label->day == day_number(today)) return;  // an unreadable one: get() mends it
      refresh(h, today, f);
      ++n;
    });
    if (!failure.empty()) throw std::runtime_error("writing the hire views: " + failure);
    // Every entry is of `today` now: the task index may be read.
    std::lock_guard<std::mutex> y_lock(y_mu);
    if (other_day_writes == other_day_before)
      storage::value_or_throw(kv->write(KvWrite{{{"y", be64(day_number(today))}}, {}}),
                              "writing the hire views");
    return n;
  }

  std::uint64_t other_day_writes_now() {
    std::lock_guard<std::mutex> y_lock(y_mu);
    return other_day_writes;
  }

  std::size_t rebuild_locked() {
    const std::uint64_t other_day_before = other_day_writes_now();
    storage::value_or_throw(kv->clear(), "clearing the hire views");
    // Everything up to this position is in the hires listed after it; what
    // comes later, the next apply() folds.
    const std::uint64_t head = engine.log().head().value;
    const date::sys_days today = engine.today();
    const auto hires = engine.hires();
    const std::size_t n = hires.size();
    // An entry missing from the index would never be listed.
    std::string failure = in_parallel(
        hires, [&](const std::string& h, std::string* f) { refresh(h, today, f, true); });
    if (!failure.empty()) throw std::runtime_error("writing the hire views: " + failure);
    std::lock_guard<std::mutex> y_lock(y_mu);
    const bool one_day = other_day_writes == other_day_before;
    storage::value_or_throw(kv->write(KvWrite{{{"f", be64(kFormat)},
                                               {"c", be64(head)},
                                               {"y", be64(one_day ? day_number(today) : 0)}},
                                              {}},
                                      /*sync=*/true),
                            "writing the hire views");
    return n;
  }

  // The keys prefix + unit 0x00 … in [from, end), in order, until f(key,
  // unit) returns false; skip(unit) = true passes a whole unit over with one
  // seek past it (another municipality's).
  void scan_units(const std::string& prefix, std::string from, const std::string& end,
                  const std::function<bool(const std::string&)>& skip,
                  const std::function<bool(const std::string& key, const std::string& unit)>& f) {
    for (;;) {
      std::optional<std::string> next_unit;  // set when a unit is to be skipped
      bool stopped = false;
      storage::value_or_throw(kv->scan(from, end,
                                       [&](const std::string& k, const std::string&) {
                                         const auto zero = k.find('\0', prefix.size());
                                         if (zero == std::string::npos) return true;
                                         std::string unit =
                                             k.substr(prefix.size(), zero - prefix.size());
                                         if (skip && skip(unit)) {
                                           next_unit = std::move(unit);
                                           return false;
                                         }
                                         stopped = !f(k, unit);
                                         return !stopped;
                                       }),
                              "scanning the hire views");
      if (stopped || !next_unit) return;
      from = prefix + *next_unit + '\x01';
    }
  }

  void scan(const std::string& from, const std::string& to, const std::string& prefix,
            const Visit& f) {
    storage::value_or_throw(kv->scan(from, to,
                                     [&](const std::string& k, const std::string&) {
                                       const auto zero = k.find('\0', prefix.size());
                                       if (zero == std::string::npos) return true;
                                       return f(k.substr(zero + 1), k);
                                     }),
                            "scanning the hire views");
  }
};

HireViews::HireViews(JourneyEngine& engine, std::unique_ptr<storage::KvStore> index,
                     bool defer_rebuild)
    : impl_(std::make_unique<Impl>(engine, std::move(index))) {
  std::lock_guard<std::mutex> lock(impl_->apply_mu);
  const bool format_ok = impl_->get_u64("f") == kFormat;
  const bool ahead = impl_->get_u64("c") > engine.log().head().value;
  if (!format_ok || ahead) {
    if (defer_rebuild)
      impl_->pending = true;
    else
      impl_->rebuild_locked();
  } else {
    impl_->apply_locked();
  }
}

bool HireViews::rebuild_pending() const { return impl_->pending; }

bool HireViews::rebuild_if_pending() {
  std::lock_guard<std::mutex> lock(impl_->apply_mu);
  if (!impl_->pending || impl_->stopping) return false;
  try {
    impl_->rebuild_locked();
  } catch (const Impl::Stopped&) {
    // The format key is written last: the next open rebuilds again.
    return false;
  }
  impl_->pending = false;
  return true;
}

void HireViews::stop() { impl_->stopping = true; }

HireViews::~HireViews() = default;

std::size_t HireViews::apply() {
  if (impl_->pending)
    throw std::runtime_error(
        "the hire views are being rebuilt (a new format, or a log restored from a backup)");
  std::lock_guard<std::mutex> lock(impl_->apply_mu);
  return impl_->apply_locked();
}

std::size_t HireViews::refresh_day() {
  if (impl_->pending || impl_->stopping) return 0;  // the rebuild computes every entry for its day
  // Not under apply_mu: each entry is refreshed alone (under write_mu), so
  // reads, which apply() first, do not wait for the whole day's pass.
  try {
    return impl_->refresh_day_pass();
  } catch (const Impl::Stopped&) {
    return 0;  // the day is not marked done: the next start's pass finishes it
  }
}

std::size_t HireViews::rebuild() {
  std::lock_guard<std::mutex> lock(impl_->apply_mu);
  if (impl_->stopping) throw Impl::Stopped();  // before the clear: the views stay as they are
  const std::size_t n = impl_->rebuild_locked();
  impl_->pending = false;
  return n;
}

std::uint64_t HireViews::applied() { return impl_->get_u64("c"); }

std::optional<HireView> HireViews::get(const std::string& hire_id, date::sys_days today) {
  if (!is_hire_id(hire_id)) return std::nullopt;
  auto raw = impl_->get_raw(entry_key(hire_id));
  // The label first: a stale entry is recomputed without being decoded.
  auto label = raw ? label_of(*raw) : std::nullopt;
  if (label && label->day == day_number(today)) {
    auto version = impl_->engine.log().stream_version(storage::StreamId(hire_id));
    if (!version) throw std::runtime_error("reading the hire views: " + version.error().message);
    if (version->value == label->version)
      if (auto e = decode(*raw)) return std::move(e->view);
  }
  return impl_->refresh(hire_id, today);
}

std::string HireViews::list_key(const std::string& state, const std::string& unit,
                                const std::string& hire) {
  return list_prefix(state) + unit + '\0' + hire;
}

void HireViews::scan_unit(const std::string& unit, const std::string& after, const Visit& f,
                          const std::string& state) {
  const std::string key = list_prefix(state) + unit;
  const std::string prefix = key + '\0';
  const std::string from = after.empty() ? prefix : after + '\0';
  impl_->scan(std::max(from, prefix), key + '\x01', key, f);
}

void HireViews::scan_all(const std::string& after,
                         const std::function<bool(const std::string&)>& skip, const UnitVisit& f,
                         const std::string& state) {
  const std::string prefix = list_prefix(state);
  // Past every key of the index: "v" after "u", "l" state 0x01 after "l" state 0x00.
  const std::string end = state.empty() ? std::string("v") : "l" + state + '\x01';
  impl_->scan_units(prefix, after.empty() ? prefix : std::max(after + '\0', prefix), end, skip,
                    [&](const std::string& k, const std::string& unit) {
                      return f(k.substr(prefix.size() + unit.size() + 1), k, unit);
                    });
}

bool HireViews::all_of_day(date::sys_days today) {
  return impl_->get_u64("y") == day_number(today);
}

void HireViews::scan_tasks(const std::optional<TaskRef>& after, date::sys_days from_due,
                           const std::function<bool(const TaskRef&)>& f) {
  std::string from = "t" + day_bytes(from_due);
  if (after) from = std::max(from, task_key(*after) + '\0');
  storage::value_or_throw(impl_->kv->scan(from, "u",
                                          [&](const std::string& k, const std::string&) {
                                            auto t = task_of_key(k);
                                            return !t || f(*t);
                                          }),
                          "scanning the hire views");
}

std::optional<HireNotes> HireViews::notifications(const std::string& hire_id,
                                                  date::sys_days today) {
  if (!is_hire_id(hire_id)) return std::nullopt;
  auto raw = impl_->get_raw(notes_key(hire_id));
  auto label = raw ? label_of_notes(*raw) : std::nullopt;
  if (label) {
    auto version = impl_->engine.log().stream_version(storage::StreamId(hire_id));
    if (!version) throw std::runtime_error("reading the hire views: " + version.error().message);
    if (version->value == label->version)
      if (auto rows = impl_->get_raw(rows_key(hire_id)))
        if (auto n = decode_notes(*rows)) return n;
  }
  std::optional<HireNotes> notes;
  impl_->refresh(hire_id, today, nullptr, false, &notes);
  return notes;
}

void HireViews::scan_notes(char by, const std::string& value, const std::string& unit,
                           const std::optional<NoteRef>& after,
                           const std::function<bool(const std::string&)>& skip,
                           const std::function<bool(const NoteRef&)>& f) {
  const std::string prefix = note_prefix(by, value);
  std::string from = unit.empty() ? prefix : prefix + unit + '\0';
  if (after) from = std::max(from, prefix + note_tail(*after) + '\0');
  const std::string end =
      unit.empty() ? std::string(1, by) + value + '\x01' : prefix + unit + '\x01';
  impl_->scan_units(prefix, from, end, skip, [&](const std::string& k, const std::string&) {
    auto n = note_of_key(k, prefix.size());
    return !n || f(*n);
  });
}

std::vector<std::string> HireViews::hires_of_message(const std::string& id) {
  std::vector<std::string> out;
  const std::string key = "m" + id;
  impl_->scan(key + '\0', key + '\x01', key, [&](const std::string& hire, const std::string&) {
    out.push_back(hire);
    return true;
  });
  return out;
}

std::vector<std::string> HireViews::damaged() {
  std::vector<std::string> out;
  impl_->scan(damaged_key(""), "d\x01", "d", [&](const std::string& hire, const std::string&) {
    out.push_back(hire);
    return true;
  });
  return out;
}

void HireViews::scan_introducer(const std::string& email, const std::string& after,
                                const Visit& f) {
  const std::string key = "i" + email_match_key(email);
  const std::string prefix = key + '\0';
  const std::string from = after.empty() ? prefix : after + '\0';
  impl_->scan(std::max(from, prefix), key + '\x01', key, f);
}

}  // namespace journey::engine
