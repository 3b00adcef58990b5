// Point reads: one event by its permalink, its neighbours from the same
// source, and the fields catalogue for autocomplete.
#include <weir/store/store.hpp>

#include "store_impl.hpp"

namespace weir::store::detail {

std::optional<std::string> StoreImpl::get(const RowRef&, const std::string&) {
    return std::nullopt;  // TODO
}

ContextResult StoreImpl::context(const ContextRequest&) {
    return {};  // TODO
}

FieldsResult StoreImpl::fields(const FieldsRequest&) {
    return {};  // TODO
}

}  // namespace weir::store::detail
