//! The cause/fix table (core layer): what each cause means and the fastest fix, per
//! provider where the advice differs.
