// RocksDB implementation of KvStore; see kv_store.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "journey/storage/kv_store.h"
#include "spdlog_rocksdb_logger.h"

namespace journey::storage {

std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

std::uint64_t from_be64(const std::string& s, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && at + i < s.size(); ++i)
    v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

namespace {

Error kv_error(const rocksdb::Status& s, const std::string& what) {
  ErrorCode code = s.IsNoSpace()      ? ErrorCode::no_space
                   : s.IsCorruption() ? ErrorCode::corruption
                                      : ErrorCode::io_error;
  return Error{code, what + ": " + s.ToString(), std::nullopt};
}

class RocksDbKv final : public KvStore {
 public:
  explicit RocksDbKv(rocksdb::DB* db) : db_(db) {}
  ~RocksDbKv() override {
    db_->Close();
    delete db_;
  }

  Result<std::optional<std::string>> get(const std::string& key) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return kv_error(s, "reading index key");
    return std::optional<std::string>(std::move(value));
  }

  Result<Unit> write(const KvWrite& b, bool sync) override {
    rocksdb::WriteBatch batch;
    for (const auto& k : b.deletes) batch.Delete(k);
    for (const auto& [k, v] : b.puts) batch.Put(k, v);
    rocksdb::WriteOptions w;
    w.sync = sync;
    auto s = db_->Write(w, &batch);
    if (!s.ok()) return kv_error(s, "writing the index");
    return Unit{};
  }

  Result<Unit> scan(const std::string& from, const std::string& to,
                    const std::function<bool(const std::string&, const std::string&)>& f) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(to);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(from); it->Valid(); it->Next()) {
      if (!f(it->key().ToString(), it->value().ToString())) break;
    }
    if (!it->status().ok()) return kv_error(it->status(), "scanning the index");
    return Unit{};
  }

  Result<Unit> clear() override {
    // One range tombstone over every key (all keys here start with a byte below
    // 0xff), not a batch holding a delete per key.
    rocksdb::WriteOptions w;
    w.sync = true;
    auto s = db_->DeleteRange(w, db_->DefaultColumnFamily(), std::string(), std::string(1, '\xff'));
    if (!s.ok()) return kv_error(s, "clearing the index");
    s = db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    if (!s.ok()) return kv_error(s, "compacting the cleared index");
    return Unit{};
  }

 private:
  rocksdb::DB* db_;
};

}  // namespace

Result<std::unique_ptr<KvStore>> open_rocksdb_kv(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return Error{ErrorCode::io_error, "cannot create " + path.string() + ": " + ec.message(),
                 std::nullopt};
  rocksdb::Options o;
  o.create_if_missing = true;
  o.info_log = make_spdlog_rocksdb_logger("rocksdb " + path.filename().string());
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(o, path.string(), &db);
  if (!s.ok()) return kv_error(s, "opening index at " + path.string());
  return std::unique_ptr<KvStore>(std::make_unique<RocksDbKv>(db));
}

}  // namespace journey::storage
