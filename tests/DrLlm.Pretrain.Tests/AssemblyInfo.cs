using Xunit;

// OpenBLAS's thread count is process-wide and the trainer changes it (Pretrainer sets it from the options; the per-head
// attention drops it to 1 around its single-threaded GEMMs). Test classes running side by side would change it under
// each other's GEMMs — a race inside OpenBLAS that made the bit-exact resume tests fail now and then under load — so
// this assembly runs its tests one at a time, as the trainer runs in a real process.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
