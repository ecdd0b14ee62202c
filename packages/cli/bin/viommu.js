#!/usr/bin/env node
// Launcher committed with the package so the `viommu` bin links at install time; the root `prepare`
// script builds dist/ right after.
import '../dist/cli.js';
