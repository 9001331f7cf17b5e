// uPlot (about 50 KB) and its stylesheet, loaded with the first chart.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export default uPlot;
