'use strict';
// The compiled addon (node-gyp rebuild, at install): { trim(): boolean | undefined }.
module.exports = require('./build/Release/malloc_trim.node');
