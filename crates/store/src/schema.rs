//! Diesel table definitions, shared by both backends (the migrations keep the columns in step).
//!
//! The index tables' primary key is (res_pk, n); `param_key` names the (type, parameter) pair a
//! row belongs to (`param_key.rs`).

diesel::table! {
    resource_versions (seq) {
        seq -> BigInt,
        resource_type -> Text,
        resource_id -> Text,
        version -> BigInt,
        last_updated -> BigInt,
        deleted -> Bool,
        body -> Nullable<Text>,
        superseded_at -> Nullable<BigInt>,
        method -> Nullable<Text>,
    }
}

diesel::table! {
    resources (res_pk) {
        res_pk -> BigInt,
        resource_type -> Text,
        resource_id -> Text,
        version -> BigInt,
        last_updated -> BigInt,
        deleted -> Bool,
        index_mask -> BigInt,
        container_pk -> Nullable<BigInt>,
    }
}

diesel::table! {
    idx_string (res_pk, n) {
        res_pk -> BigInt,
        n -> Integer,
        param_key -> Integer,
        value_normalized -> Text,
        value_exact -> Text,
    }
}

diesel::table! {
    idx_token (res_pk, n) {
        res_pk -> BigInt,
        n -> Integer,
        param_key -> Integer,
        system -> Nullable<Text>,
        code -> Nullable<Text>,
        display -> Nullable<Text>,
    }
}

diesel::table! {
    idx_date (res_pk, n) {
        res_pk -> BigInt,
        n -> Integer,
        param_key -> Integer,
        low -> BigInt,
        high -> BigInt,
    }
}

diesel::table! {
    idx_reference (res_pk, n) {
        res_pk -> BigInt,
        n -> Integer,
        param_key -> Integer,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        url -> Nullable<Text>,
        identifier_system -> Nullable<Text>,
        identifier_value -> Nullable<Text>,
    }
}

diesel::table! {
    idx_quantity (res_pk, n) {
        res_pk -> BigInt,
        n -> Integer,
        param_key -> Integer,
        value -> Double,
        low -> Double,
        high -> Double,
        system -> Nullable<Text>,
        code -> Nullable<Text>,
        unit -> Nullable<Text>,
    }
}

diesel::table! {
    idx_number (res_pk, n) {
        res_pk -> BigInt,
        n -> Integer,
        param_key -> Integer,
        value -> Double,
        low -> Double,
        high -> Double,
    }
}

diesel::table! {
    idx_uri (res_pk, n) {
        res_pk -> BigInt,
        n -> Integer,
        param_key -> Integer,
        uri -> Text,
    }
}

diesel::table! {
    conditional_keys (resource_type, criteria) {
        resource_type -> Text,
        criteria -> Text,
        resource_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> BigInt,
        action -> Text,
        resource_type -> Text,
        resource_id -> Text,
        version -> BigInt,
        request_id -> Nullable<Text>,
        client -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    resource_versions,
    resources,
    idx_string,
    idx_token,
    idx_date,
    idx_reference,
    idx_quantity,
    idx_number,
    idx_uri,
    conditional_keys,
    audit_log,
);

diesel::joinable!(idx_string -> resources (res_pk));
diesel::joinable!(idx_token -> resources (res_pk));
diesel::joinable!(idx_date -> resources (res_pk));
diesel::joinable!(idx_reference -> resources (res_pk));
diesel::joinable!(idx_quantity -> resources (res_pk));
diesel::joinable!(idx_number -> resources (res_pk));
diesel::joinable!(idx_uri -> resources (res_pk));
