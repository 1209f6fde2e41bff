// Maintained views of the hires: what lists read instead of replaying every
// hire in the system.
//
// A view entry is a hire's identity and the summary of its status projected
// for one local day (status.h: HireSummary, summarize() of what
// JourneyEngine::status() computes), or why the hire is damaged. It
// is kept in a KvStore of its own (journeyd: DATA/views), derived from the log
// alone: `journeyctl views rebuild`, or a start whose format version differs,
// or a log shorter than the position the views say they applied, clears it
// and derives it again (journeyd: in the background, see defer_rebuild).
//
// ## Always the log's answer
// An entry records the hire's stream version it was computed from (read
// BEFORE the projection, so an entry can only be newer than its label, never
// older) and its day. A read checks both against the log (one index lookup)
// and recomputes on the spot when either differs, so a view never answers
// with less than the log had when the read began. A caller's own write is
// therefore always visible to its next read, with no waiting. What the
// maintenance below buys is that the recomputation is rarely needed.
//
// ## Maintenance
// apply() folds the log from the last applied position: every hire stream
// that has new events gets its entry recomputed and its index keys moved,
// then the position is recorded. journeyd runs it in the background every
// fraction of a second; every list read runs it first too, so the index holds
// every hire committed before the read. refresh_day() recomputes the entries
// of an earlier day (overdue flags, leave and hours owed depend on the date);
// journeyd's background thread runs it after each change of local day, and
// until it is through, reads recompute the entries they meet (it does not
// hold up apply(), so reads do not wait for the pass).
//
// ## Durability
// The store is written without sync (journeyd: WAL on, no fsync): a crash of
// the process loses nothing the kernel has, a power loss may lose the newest
// writes, and RocksDB recovers a consistent earlier state either way, from
// which apply() folds the log again. A rebuild that could not store every
// entry throws and leaves the format key unwritten, so the next open
// rebuilds again. A log restored from a backup that is shorter than the
// applied position rebuilds the views at open; after any restore, remove
// DATA/views (or run `journeyctl views rebuild`): a restore to a log that has
// since grown past the old position cannot be told from the same log.
//
// ## Key layout (all derived)
//   "f"                          BE64 format version (kFormat)
//   "c"                          BE64 last log position applied
//   "y"                          BE64 the day every entry was last brought to
//                                (refresh_day(), rebuild()): a day's task index;
//                                0 once an entry of another day is stored (a
//                                read straddling midnight). refresh_day() with
//                                "y" of today does nothing: a start the same
//                                day lists no streams.
//   "e" hire                     BE64 stream version, BE64 day, cereal(HireView):
//                                the identity and the summary (about 1-2 KB; the
//                                whole status, ten times that, is not kept)
//   "u" unit 0x00 hire           ""   hires by unit ("" for an unreadable one)
//   "i" email 0x00 hire          ""   hires by their introducer (lower-case)
//   "d" 0x00 hire                ""   hires whose entry is damage, not a status
//   "l" lifecycle 0x00 unit 0x00 hire
//                                ""   hires by lifecycle state (HireSummary::lifecycle,
//                                     "Damaged" for damage): /v1/hires?state=
//   "t" BE64 due+2^63 unit 0x00 hire 0x00 BE32 index
//                                ""   open tasks by due day (HireSummary::open_tasks),
//                                     for lists wider than a few units
//   "N" hire                     BE64 stream version, unit: what the hire's
//                                notification rows are up to date with
//   "R" hire                     cereal(unit, the hire's notification rows
//                                (scheduler.h: NotificationRow), what did not
//                                decode): the notifications view
//   "o" outcome 0x00 unit 0x00 hire 0x00 BE64 version BE32 index
//                                ""   notification rows by the outcome of their
//                                     last attempt ("pending" before any); a failed
//                                     one (failed_outcome()) also under "failed"
//   "w" webhook 0x00 unit 0x00 hire 0x00 BE64 version BE32 index
//                                ""   notification rows by the webhook they go to
//   "m" message 0x00 hire        ""   the hires that have a record of a message
// A hire's notification rows are rewritten only when records of theirs were
// appended (or its unit changed): a refresh reads the events after the "N"
// label's version and, finding none of them a notification record, moves
// the label alone (an hours entry moves no row).
// When a hire's entry is rewritten, the index keys it no longer has are
// deleted and the ones it gains are put (the old entry says which it had);
// a rebuild puts every key. Lists page in key order, (unit, hire id).
//
// A damaged hire has no notification rows in the view, as in a replay's list.
//
// Thread safety: every member may be called from several threads. apply() and
// rebuild() serialise among themselves; reads do not wait for them.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "journey/engine/journey_engine.h"
#include "journey/engine/scheduler.h"
#include "journey/storage/kv_store.h"

namespace journey::engine {

// An open task's place in the due index: (due, unit, hire, the item's index
// in the hire's status), the task lists' order.
struct TaskRef {
  date::sys_days due;
  std::string unit;
  std::string hire;
  std::uint32_t index = 0;
};

// A notification row's place in the outcome and webhook indexes: (unit,
// hire, the decision's stream version, the channel's index), the
// notification list's order.
struct NoteRef {
  std::string unit;
  std::string hire;
  std::uint64_t version = 0;
  std::uint32_t index = 0;
};

// A hire's notification rows as of its stream version `version`.
struct HireNotes {
  std::string unit;
  std::vector<NotificationRow> rows;
  std::string damage;  // records that did not decode, one line each
};

// One hire as the lists see it: the summary of its status on `day`, or why
// it is damaged.
struct HireView {
  HireIdentity id;
  std::optional<HireSummary> summary;  // std::nullopt: damaged, see `damage`
  std::string damage;
};

class HireViews {
 public:
  // The entries' format AND what they were computed by: bump it whenever the
  // entry layout changes, or what JourneyEngine::status() or identify()
  // answer for the same log does (a rule fixed, a field added), so that a
  // start of the new build rebuilds instead of serving the old answers.
  // 2: the "d" index; 3: a summary, not the whole status; 4: notifications;
  // 5: the lifecycle index.
  static constexpr std::uint64_t kFormat = 5;

  // Opens the views over `index` and brings them up to the log: rebuilds
  // when the format differs or the views are ahead of the log (a restored
  // log), else applies what was appended since. REQUIRES: engine outlives this.
  // `defer_rebuild`: a rebuild the open needs is left to rebuild_if_pending()
  // (journeyd runs it on its views thread), so that a start after an upgrade
  // answers at once. Until it has run, apply() throws, and every list, which
  // falls back to a replay when apply() fails, answers from the log: slower,
  // the same answers. get() and notifications() work throughout.
  HireViews(JourneyEngine& engine, std::unique_ptr<storage::KvStore> index,
            bool defer_rebuild = false);
  ~HireViews();

  // Folds every event after the applied position; returns the number of
  // hires recomputed.
  std::size_t apply();
  // Recomputes every entry not of today; returns how many.
  std::size_t refresh_day();
  // Clears the views and derives them again from the log; returns the hires.
  std::size_t rebuild();
  // True while a rebuild the open deferred has not run.
  bool rebuild_pending() const;
  // Runs the rebuild the open deferred, if any; returns whether it ran
  // through. A stop() during it ends it after the hires in hand, false: the
  // views stay pending, and the next open rebuilds (the format version is
  // written last).
  bool rebuild_if_pending();
  // For a shutdown: a deferred rebuild or a day's pass running on another
  // thread ends after the hires in hand, and none starts. Reads and apply()
  // go on as before.
  void stop();
  // The last log position applied.
  std::uint64_t applied();

  // The hire as of `today`: from the view when it matches the log's stream
  // version and the day, else recomputed and stored. std::nullopt if the
  // hire does not exist.
  std::optional<HireView> get(const std::string& hire_id, date::sys_days today);

  // Hire ids in key order, from just after `after` (a key from a previous
  // call's `last`, "" to start), until f returns false.
  //   unit:       the hires of one unit ("u" unit 0x00)
  //   all_units:  every hire, unit by unit; skip(unit) = true passes a whole
  //               unit over without reading it (another municipality's)
  //   introducer: the hires a person introduces
  // f gets (hire id, key); the key is what `after` takes to resume after it.
  // With a `state`, unit and all_units read the lifecycle index instead
  // ("l" state 0x00 unit 0x00 hire): only the hires in that lifecycle state
  // ("Damaged": those whose entry is damage), as of the last apply() (a
  // caller checks each against get()). list_key() is the key of (unit, hire)
  // in the index a state names, for `after`.
  using Visit = std::function<bool(const std::string& hire, const std::string& key)>;
  static std::string list_key(const std::string& state, const std::string& unit,
                              const std::string& hire);
  void scan_unit(const std::string& unit, const std::string& after, const Visit& f,
                 const std::string& state = "");
  // f gets (hire id, key, unit).
  using UnitVisit =
      std::function<bool(const std::string& hire, const std::string& key, const std::string& unit)>;
  void scan_all(const std::string& after, const std::function<bool(const std::string&)>& skip,
                const UnitVisit& f, const std::string& state = "");
  void scan_introducer(const std::string& email, const std::string& after, const Visit& f);
  // True once every entry is of `today` (the day's refresh_day() or a
  // rebuild is through): only then does the task index hold every open task
  // at its due day (an ongoing leave moves due days daily). Until then a task
  // list visits the hires instead, whose get() recomputes what it meets.
  bool all_of_day(date::sys_days today);
  // Open tasks of every hire in (due, unit, hire, index) order, due on or
  // after `from_due` and after `after`, until f returns false. As of the last
  // apply(): a caller checks each against get() of today, which recomputes an
  // entry whose hire changed since (its tasks may have moved).
  void scan_tasks(const std::optional<TaskRef>& after, date::sys_days from_due,
                  const std::function<bool(const TaskRef&)>& f);
  // The hire's notification rows as of the log now (recomputed and stored
  // when the view's are older, like get()); std::nullopt if the hire does not
  // exist or is damaged (a damaged hire lists no notifications).
  std::optional<HireNotes> notifications(const std::string& hire_id, date::sys_days today);
  // Notification rows in (unit, hire, version, index) order under one index,
  // `by` 'o' (value: an outcome, or "failed") or 'w' (value: a webhook id),
  // after `after` if given; only `unit`'s when it is not empty; skip(unit) =
  // true passes a whole unit over. As of the last apply(): a caller checks
  // each against notifications() of the hire, whose rows may have moved.
  void scan_notes(char by, const std::string& value, const std::string& unit,
                  const std::optional<NoteRef>& after,
                  const std::function<bool(const std::string&)>& skip,
                  const std::function<bool(const NoteRef&)>& f);
  // The hires with a record of message `id` (as of the last apply()).
  std::vector<std::string> hires_of_message(const std::string& id);
  // The hires whose entry says they are damaged (the "d" index), as of the
  // last apply(): what /metrics counts, without loading anyone.
  std::vector<std::string> damaged();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace journey::engine
