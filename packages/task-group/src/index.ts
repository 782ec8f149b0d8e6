export { TaskGroup, type TaskGroupOptions, type SpawnOptions, type TaskGroupBody } from './task-group.js';
export type { Task } from './task.js';
export { TaskGroupError } from './task-group-error.js';
export { ClosedError } from './closed-error.js';
export { map, type MapOptions } from './map.js';
export { race, type RaceOptions } from './race.js';
export { any, type AnyOptions } from './any.js';
