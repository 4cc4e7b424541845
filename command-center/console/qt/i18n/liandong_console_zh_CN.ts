<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Main</name>
    <message>
        <location filename="../qml/Main.qml" line="14"/>
        <location filename="../qml/Main.qml" line="65"/>
        <source>Liandong command console</source>
        <translation>联动指挥控制台</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="24"/>
        <source>red</source>
        <translation>红色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="24"/>
        <source>orange</source>
        <translation>橙色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="24"/>
        <source>yellow</source>
        <translation>黄色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="24"/>
        <source>blue</source>
        <translation>蓝色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="24"/>
        <source>no colour</source>
        <translation>无颜色</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="27"/>
        <source>reported</source>
        <translation>已上报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="27"/>
        <source>verified</source>
        <translation>已核实</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="27"/>
        <source>responding</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="28"/>
        <source>contained</source>
        <translation>已控制</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="28"/>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="31"/>
        <source>Ⅰ (particularly serious)</source>
        <translation>Ⅰ级（特别重大）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="31"/>
        <source>Ⅱ (serious)</source>
        <translation>Ⅱ级（重大）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="31"/>
        <source>Ⅲ (major)</source>
        <translation>Ⅲ级（较大）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="32"/>
        <source>Ⅳ (general)</source>
        <translation>Ⅳ级（一般）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="35"/>
        <source>state</source>
        <translation>国家</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="35"/>
        <source>province</source>
        <translation>省级</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="35"/>
        <source>city</source>
        <translation>市级</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="35"/>
        <source>county</source>
        <translation>县级</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="36"/>
        <source>town</source>
        <translation>镇街</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="39"/>
        <source>dispatched</source>
        <translation>已派发</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="39"/>
        <source>acknowledged</source>
        <translation>已签收</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="39"/>
        <source>in progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="40"/>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="40"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="43"/>
        <location filename="../qml/Main.qml" line="311"/>
        <source>first report</source>
        <translation>首报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="43"/>
        <location filename="../qml/Main.qml" line="311"/>
        <source>follow-up report</source>
        <translation>续报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="43"/>
        <location filename="../qml/Main.qml" line="311"/>
        <source>final report</source>
        <translation>终报</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="78"/>
        <source>linked to the centre</source>
        <translation>与中心连接正常</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="78"/>
        <source>link to the centre is down</source>
        <translation>与中心连接中断</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="82"/>
        <source>signed in: %1 (%2)</source>
        <translation>已登录：%1（%2）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="83"/>
        <source>not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="100"/>
        <source>working… </source>
        <translation>处理中… </translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="120"/>
        <source>Incident queue (%1)</source>
        <translation>事件队列（%1）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="179"/>
        <source>led by %1</source>
        <translation>%1牵头</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="190"/>
        <source>No incidents</source>
        <translation>暂无事件</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="229"/>
        <source>zoom %1 · drag to pan, wheel to zoom</source>
        <translation>缩放 %1 · 拖动平移，滚轮缩放</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="272"/>
        <source>State: %1 · level %2 · %3 · led by %4 · version %5</source>
        <translation>状态：%1 · 响应级别 %2 · %3 · %4牵头 · 版本 %5</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="284"/>
        <source>Actions</source>
        <translation>处置操作</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="288"/>
        <source>Verify</source>
        <translation>核实</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="289"/>
        <source>Respond</source>
        <translation>启动响应</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="290"/>
        <source>Contain</source>
        <translation>已控制</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="294"/>
        <source>reason (for close and level)</source>
        <translation>原因（关闭和调级时必填）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="295"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="300"/>
        <source>Set level</source>
        <translation>调整级别</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="304"/>
        <source>agency ids, e.g. py-flood</source>
        <translation>单位编号，如 py-flood</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="305"/>
        <source>task</source>
        <translation>任务内容</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="306"/>
        <source>Dispatch</source>
        <translation>派发任务</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="310"/>
        <source>situation report text</source>
        <translation>信息报告内容</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="312"/>
        <source>Submit</source>
        <translation>报送</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="315"/>
        <source>Tasks (%1)</source>
        <translation>任务（%1）</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="323"/>
        <source>ack by %1</source>
        <translation>%1 前签收</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="325"/>
        <source>notified %1, seen %2</source>
        <translation>%1 已通知，%2 已查看</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="325"/>
        <source>not yet</source>
        <translation>未查看</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="329"/>
        <source>Situation reports</source>
        <translation>信息报告</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="338"/>
        <source>submitted %1 by %2: %3</source>
        <translation>%1 由 %2 报送：%3</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="339"/>
        <source>due %1</source>
        <translation>%1 前报送</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="339"/>
        <source>overdue</source>
        <translation>已超时</translation>
    </message>
    <message>
        <location filename="../qml/Main.qml" line="342"/>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
</context>
</TS>
