export { writeReport, type ReportResult } from './report';
