import { defineProject } from 'vitest/config';
import { projectDefaults } from '../../test-utils/vitest-project.js';

export default defineProject(projectDefaults('worker-pool'));
