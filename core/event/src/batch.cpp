#include <cstring>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>

namespace weir::event {

Batch::Batch() {
    entries_.push_back(Entry{});
    containers_.push_back(Container{});
}

size_t Batch::memory() const {
    return arena_.capacity() + events_.capacity() * sizeof(EventRecord) +
           entries_.capacity() * sizeof(Entry) + containers_.capacity() * sizeof(Container);
}

size_t Batch::add(std::string_view body, int64_t time_ns, uint32_t flags, bool borrow) {
    std::string_view b = borrow ? body : arena_.copy(body);
    const weir_node root = new_container(WEIR_VAL_OBJECT);
    events_.push_back(EventRecord{time_ns, weir_str{b.data(), b.size()}, flags, root});
    bytes_ += b.size();
    return events_.size() - 1;
}

void Batch::set_body(size_t i, std::string_view body, bool borrow) {
    std::string_view b = borrow ? body : arena_.copy(body);
    bytes_ -= events_[i].body.size;
    bytes_ += b.size();
    events_[i].body = weir_str{b.data(), b.size()};
}

weir_node Batch::new_container(int32_t type) {
    containers_.push_back(Container{0, 0, type});
    return static_cast<weir_node>(containers_.size() - 1);
}

weir_node Batch::put(weir_node parent, std::string_view key, const weir_value& v, uint32_t flags) {
    if (parent == 0 || parent >= containers_.size()) return 0;
    const bool borrow = (flags & WEIR_ADD_BORROW) != 0;
    Entry e{};
    e.value = v;
    weir_node created = 0;
    if (v.type == WEIR_VAL_OBJECT || v.type == WEIR_VAL_ARRAY) {
        created = new_container(v.type);
        e.value.as.node = created;
    } else if (v.type == WEIR_VAL_STRING && !borrow) {
        std::string_view s = arena_.copy({v.as.s.data ? v.as.s.data : "", v.as.s.size});
        e.value.as.s = weir_str{s.data(), s.size()};
    }
    Container& c = containers_[parent];
    if (c.type == WEIR_VAL_OBJECT) {
        if (!(flags & WEIR_PUT_APPEND)) {
            for (weir_entry i = c.first; i != 0; i = entries_[i].next) {
                Entry& x = entries_[i];
                if (x.key.size == key.size() && std::memcmp(x.key.data, key.data(), key.size()) == 0) {
                    x.value = e.value;  // replace in place, keep order
                    return created;
                }
            }
        }
        std::string_view k = borrow ? key : arena_.copy(key);
        e.key = weir_str{k.data(), k.size()};
    }
    entries_.push_back(e);
    const auto idx = static_cast<weir_entry>(entries_.size() - 1);
    Container& c2 = containers_[parent];  // new_container may have reallocated
    if (c2.last)
        entries_[c2.last].next = idx;
    else
        c2.first = idx;
    c2.last = idx;
    return created;
}

bool Batch::get(weir_node parent, std::string_view key, weir_value* out) const {
    if (parent == 0 || parent >= containers_.size()) return false;
    for (weir_entry i = containers_[parent].first; i != 0; i = entries_[i].next) {
        const Entry& x = entries_[i];
        if (x.key.size == key.size() && std::memcmp(x.key.data, key.data(), key.size()) == 0) {
            if (out) *out = x.value;
            return true;
        }
    }
    return false;
}

bool Batch::remove(weir_node parent, std::string_view key) {
    if (parent == 0 || parent >= containers_.size()) return false;
    Container& c = containers_[parent];
    weir_entry prev = 0;
    for (weir_entry i = c.first; i != 0; prev = i, i = entries_[i].next) {
        Entry& x = entries_[i];
        if (x.key.size == key.size() && std::memcmp(x.key.data, key.data(), key.size()) == 0) {
            if (prev)
                entries_[prev].next = x.next;
            else
                c.first = x.next;
            if (c.last == i) c.last = prev;
            return true;
        }
    }
    return false;
}

size_t Batch::compact() {
    size_t out = 0;
    for (size_t i = 0; i < events_.size(); ++i) {
        if (events_[i].flags & WEIR_EVENT_DROPPED) {
            bytes_ -= events_[i].body.size;
            continue;
        }
        if (out != i) events_[out] = events_[i];
        ++out;
    }
    const size_t removed = events_.size() - out;
    events_.resize(out);
    return removed;
}

void Batch::clear() {
    events_.clear();
    entries_.resize(1);
    containers_.resize(1);
    arena_.reset();
    bytes_ = 0;
    ack_cookie = 0;
    origin = nullptr;
    created_ns = 0;
    sequence = 0;
    stream.clear();
    flush = 0;
    carried_acks.clear();
    own_ack_withheld = false;
}

std::string_view Batch::to_json(size_t i) const {
    thread_local std::string buffer;
    buffer.clear();
    write_event_json(*this, i, buffer);
    return buffer;
}

}  // namespace weir::event
