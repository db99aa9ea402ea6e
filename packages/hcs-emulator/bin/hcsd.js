#!/usr/bin/env node
import '../dist/hcsd/cli.js';
