// Worker bootstrap: registers the TypeScript loader, then runs the worker module from source.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
